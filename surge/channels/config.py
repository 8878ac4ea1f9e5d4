"""The config's ``channels:``, ``hotlines:`` and ``plugins:`` sections.

``channels:`` binds names that playbooks use (``incident-room``, ``agents``,
``leadership``) to a provider type and its settings, so a playbook never names a vendor.
The keys every channel has are read here; the rest belong to the provider, which reads
them (with their positions, for ``file:line:col`` errors) when the runtime binds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YNode

COMMON_KEYS = ("provider", "backup", "locales", "medium", "notices")
NOTICES = ("all", "published", "none")  # which status notices a channel shows
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class ChannelBinding:
    """One configured channel: its provider type, backup and the provider's settings."""

    name: str
    provider: str
    pos: Pos  # where the channel's name was written
    node: YNode  # the provider's own settings (a mapping), positions kept
    backup: str | None = None  # the channel a failed post falls over to
    locales: tuple[str, ...] = ()  # which wordings of a script it gets; () means all
    medium: str | None = None  # the script rules' channel for length limits (chat, sms)
    notices: str = "none"  # all: drafts (to approve) and published versions; or published


@dataclass(frozen=True)
class Telephony:
    """How a hotline is switched: a webhook target or a command, both named in config."""

    webhook: str | None = None
    command: str | None = None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class HotlineSettings:
    name: str
    open: Telephony
    close: Telephony | None = None
    number: str = ""  # what customers dial, unless the telephony system answers one
    pos: Pos | None = None


@dataclass(frozen=True)
class PluginSection:
    """A plugin's own settings under ``plugins: {NAME: …}``, read by that plugin."""

    name: str
    node: YNode
    values: dict[str, object] = field(default_factory=dict)


def parse_channels(node: YNode, check: Checker) -> dict[str, ChannelBinding]:
    bindings: dict[str, ChannelBinding] = {}
    for name, child in (check.mapping(node, "channels") or {}).items():
        what = f"channels.{name}"
        if not _NAME.match(name):
            check.error(
                node.key_pos[name], f"{what}: a channel name is lowercase letters, digits, - and _"
            )
            continue
        fields = check.mapping(child, what)
        if fields is None:
            continue
        if "provider" not in fields:
            check.error(child.pos, f"{what} is missing required key 'provider'")
            continue
        provider = check.string(fields["provider"], f"{what}.provider")
        backup = check.string(fields["backup"], f"{what}.backup") if "backup" in fields else None
        medium = check.string(fields["medium"], f"{what}.medium") if "medium" in fields else None
        locales = _locales(fields.get("locales"), check, what)
        notices = "none"
        if "notices" in fields:
            notices = check.choice(fields["notices"], f"{what}.notices", NOTICES) or "none"
        own = {key: value for key, value in fields.items() if key not in COMMON_KEYS}
        settings = YNode(own, child.pos, {key: child.key_pos[key] for key in own})
        if provider:
            bindings[name] = ChannelBinding(
                name, provider, node.key_pos[name], settings, backup, locales, medium, notices
            )
    _check_backups(bindings, node, check)
    return bindings


def _locales(node: YNode | None, check: Checker, what: str) -> tuple[str, ...]:
    if node is None:
        return ()
    from surge.scripts.model import LOCALES  # here: surge.scripts imports surge.config

    found = []
    for item in check.sequence(node, f"{what}.locales") or []:
        locale = check.choice(item, f"each of {what}.locales", LOCALES)
        if locale:
            found.append(locale)
    return tuple(found)


def _check_backups(bindings: dict[str, ChannelBinding], node: YNode, check: Checker) -> None:
    for name, binding in bindings.items():
        if binding.backup is None:
            continue
        pos = binding.node.pos
        if binding.backup not in bindings:
            known = ", ".join(sorted(set(bindings) - {name})) or "none"
            check.error(
                pos, f"channels.{name}.backup: no channel {binding.backup!r} (configured: {known})"
            )
            continue
        seen = [name]
        current: str | None = binding.backup
        while current is not None and current in bindings:
            if current in seen:
                chain = " -> ".join([*seen, current])
                check.error(pos, f"channels.{name}.backup goes round in a circle: {chain}")
                break
            seen.append(current)
            current = bindings[current].backup


def backup_chain(bindings: dict[str, ChannelBinding], name: str) -> list[ChannelBinding]:
    """The channel and its backups, in the order a post tries them."""
    chain: list[ChannelBinding] = []
    current: str | None = name
    while current is not None and current in bindings and bindings[current] not in chain:
        chain.append(bindings[current])
        current = bindings[current].backup
    return chain


def parse_hotlines(node: YNode, check: Checker) -> dict[str, HotlineSettings]:
    hotlines: dict[str, HotlineSettings] = {}
    for name, child in (check.mapping(node, "hotlines") or {}).items():
        what = f"hotlines.{name}"
        fields = check.keys(child, what, ("number", "open", "close"), ("open",))
        if not fields or "open" not in fields:
            continue
        number = check.string(fields["number"], f"{what}.number") if "number" in fields else ""
        opening = _telephony(fields["open"], check, f"{what}.open")
        closing = _telephony(fields["close"], check, f"{what}.close") if "close" in fields else None
        if opening is not None:
            hotlines[name] = HotlineSettings(name, opening, closing, number or "", child.pos)
    return hotlines


def _telephony(node: YNode, check: Checker, what: str) -> Telephony | None:
    fields = check.keys(node, what, ("webhook", "command", "args"))
    if fields is None:
        return None
    if ("webhook" in fields) == ("command" in fields):
        check.error(node.pos, f"{what} takes `webhook: TARGET` or `command: NAME`, one of them")
        return None
    args = tuple(check.strings(fields["args"], f"{what}.args")) if "args" in fields else ()
    if "webhook" in fields:
        if args:
            check.error(fields["args"].pos, f"{what}.args only go with `command:`")
        return Telephony(webhook=check.string(fields["webhook"], f"{what}.webhook"))
    return Telephony(command=check.string(fields["command"], f"{what}.command"), args=args)


def parse_plugins(node: YNode, check: Checker) -> dict[str, PluginSection]:
    sections: dict[str, PluginSection] = {}
    for name, child in (check.mapping(node, "plugins") or {}).items():
        if check.mapping(child, f"plugins.{name}") is not None:
            sections[name] = PluginSection(name, child, child.plain())
    return sections
