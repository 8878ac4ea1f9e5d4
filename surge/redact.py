"""Keeping secrets, and customers' contacts, out of timelines, logs and pages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
SENSITIVE_KEY = re.compile(
    r"(secret|token|password|passwd|authorization|api[_-]?key|webhook[_-]?key|signature)", re.I
)

# personal data that a step may pass on (``customers.collect``'s customers): kept out of
# the timeline and the stored arguments like a secret
PERSONAL_KEY = re.compile(r"(^|_)contact$", re.I)


def _masked(key: object) -> bool:
    return isinstance(key, str) and bool(SENSITIVE_KEY.search(key) or PERSONAL_KEY.search(key))


def sensitive_values(mapping: Mapping[str, str]) -> list[str]:
    """The values of keys that name credentials (Authorization, X-Api-Key, …)."""
    return [value for key, value in mapping.items() if SENSITIVE_KEY.search(key)]


class Redactor:
    """Masks known secret values anywhere in a value, and every value under a sensitive key."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is masked whole
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= 4}, key=len, reverse=True
        )

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: MASK if _masked(key) else self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
