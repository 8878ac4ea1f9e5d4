"""A response script as surge uses it: agreed wording per locale, typed vars and rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from surge.playbook.model import Param
from surge.yamlpos import Pos

LOCALES = ("zh-CN", "zh-TW", "en")
EVERY_LOCALE = "*"  # forbidden phrases under this key apply in every locale
RULES = ("required", "forbidden", "promise", "max_length")
# Built-in limits per channel: (when the text has CJK, otherwise). A script's own
# ``max_length`` for the channel replaces them.
BUILTIN_MAX_LENGTH = {"sms": (70, 160)}


@dataclass(frozen=True)
class Rules:
    required: tuple[str, ...] = ()  # vars that must be non-empty and appear in the text
    forbidden: dict[str, tuple[str, ...]] = field(default_factory=dict)  # locale or "*"
    promises: tuple[str, ...] = ()  # regular expressions of unapproved promises
    max_length: dict[str, int] = field(default_factory=dict)  # channel -> characters

    def forbidden_in(self, locale: str) -> tuple[str, ...]:
        """The phrases forbidden in ``locale``: its own and those for every locale."""
        return (*self.forbidden.get(EVERY_LOCALE, ()), *self.forbidden.get(locale, ()))

    def count(self) -> int:
        """How many rules there are, each phrase and pattern counted once."""
        phrases = sum(len(items) for items in self.forbidden.values())
        return len(self.required) + phrases + len(self.promises) + len(self.max_length)


@dataclass(frozen=True)
class Script:
    id: str
    title: str
    purpose: str = ""
    author: str = ""  # who last changed it: with the two-person rule, not its approver
    vars: dict[str, Param] = field(default_factory=dict)
    locales: dict[str, str] = field(default_factory=dict)  # locale -> Jinja2 template
    # locale -> a Jinja2 template of a notice's title (optional; notices, surge/notices)
    titles: dict[str, str] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    source: str = ""  # the file it came from
    # sha256 of the parsed content in a canonical form: edits to whitespace, comments,
    # quoting or key order keep it; any change of content changes it
    content_hash: str = ""
    pos: Pos | None = None  # where its id was written

    def summary(self) -> dict[str, Any]:
        """What listings show: as JSON, for the API and ``surge scripts list --json``."""
        return {
            "id": self.id,
            "title": self.title,
            "purpose": self.purpose,
            "locales": list(self.locales),
            "vars": {
                name: {"type": var.type, "required": var.required, "description": var.description}
                for name, var in self.vars.items()
            },
            "rules": self.rules.count(),
            "content_hash": self.content_hash,
            "source": self.source,
        }


def max_length(rules: Rules, channel: str | None, text: str) -> int | None:
    """The most characters ``text`` may have on ``channel``, or None for no limit."""
    if channel is None:
        return None
    if channel in rules.max_length:
        return rules.max_length[channel]
    if channel in BUILTIN_MAX_LENGTH:
        cjk, other = BUILTIN_MAX_LENGTH[channel]
        return cjk if has_cjk(text) else other
    return None


def has_cjk(text: str) -> bool:
    """Whether any character is Chinese, Japanese or Korean (SMS then holds fewer)."""
    return any(_is_cjk(ord(char)) for char in text)


_CJK_RANGES = (
    (0x2E80, 0x9FFF),  # radicals, punctuation, kana, bopomofo, unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
    (0x20000, 0x3FFFF),  # supplementary ideographs
)


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK_RANGES)
