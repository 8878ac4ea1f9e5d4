"""The ``pagers:`` section of the config: the signed links and each named pager.

Each pager is a mapping whose ``type`` (default: its name) names a pager type that a
plugin registers; its other keys are checked by that type when the runtime is built,
since plugins are not loaded while the config is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from surge.redact import sensitive_values
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

DEFAULT_LINK_TTL = 3600.0


@dataclass(frozen=True)
class LinkSettings:
    secret_env: str | None = None  # the environment variable holding the HMAC key
    ttl: float = DEFAULT_LINK_TTL  # how long a link in a page works

    def secret(self) -> str | None:
        return os.environ.get(self.secret_env) or None if self.secret_env else None


@dataclass(frozen=True)
class PagerEntry:
    name: str
    type: str
    node: YNode  # its options, checked by the type's ``configure``


@dataclass(frozen=True)
class PagerSettings:
    links: LinkSettings = field(default_factory=LinkSettings)
    pagers: dict[str, PagerEntry] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        """The link key, values under keys named like secrets, and ``*_env`` variables."""
        found = [self.links.secret()]
        for entry in self.pagers.values():
            found.extend(_secrets_in(entry.node.plain()))
        return [secret for secret in found if secret]


def _secrets_in(value: Any) -> list[str | None]:
    if not isinstance(value, dict):
        return []
    found: list[str | None] = list(
        sensitive_values({k: v for k, v in value.items() if isinstance(v, str)})
    )
    for key, item in value.items():
        if key.endswith("_env") and isinstance(item, str):
            found.append(os.environ.get(item))
        found.extend(_secrets_in(item))
    return found


def parse_pagers(node: YNode, check: Checker) -> PagerSettings:
    fields = check.mapping(node, "pagers")
    if fields is None:
        return PagerSettings()
    links = _links(fields["links"], check) if "links" in fields else LinkSettings()
    pagers: dict[str, PagerEntry] = {}
    for name, child in fields.items():
        if name == "links":
            continue
        options = check.mapping(child, f"pagers.{name}")
        if options is None:
            continue
        kind = name
        if "type" in options:
            kind = check.string(options["type"], f"pagers.{name}.type") or name
        pagers[name] = PagerEntry(name, kind, child)
    return PagerSettings(links, pagers)


def _links(node: YNode, check: Checker) -> LinkSettings:
    fields = check.keys(node, "pagers.links", ("secret_env", "ttl"))
    if not fields:
        return LinkSettings()
    secret_env = (
        check.string(fields["secret_env"], "pagers.links.secret_env")
        if "secret_env" in fields
        else None
    )
    ttl = check.duration(fields["ttl"], "pagers.links.ttl") if "ttl" in fields else DEFAULT_LINK_TTL
    if ttl is not None and ttl <= 0:
        check.error(fields["ttl"].pos, "pagers.links.ttl must be more than 0")
    return LinkSettings(secret_env, ttl or DEFAULT_LINK_TTL)
