"""The ``components:`` section of the config: what customers know by name, in groups.

```yaml
components:
  - id: web-chat
    name: {zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}
    group: {zh-CN: 服务渠道, zh-TW: 服務渠道, en: Service channels}
```

A name (and a group, and the optional ``description``) is a mapping with every locale,
or one text for all of them. Components sharing a group's names are one group; its id
is a slug of its English name.
"""

from __future__ import annotations

import re

from surge.notices.model import Component, ComponentGroup
from surge.playbook.steps import read_slug
from surge.scripts.model import LOCALES
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

COMPONENT_KEYS = ("id", "name", "group", "description")


def parse_components(node: YNode, check: Checker) -> tuple[Component, ...]:
    items = check.sequence(node, "components")
    found: dict[str, Component] = {}
    groups: dict[str, ComponentGroup] = {}
    for position, item in enumerate(items or []):
        component = _component(item, check, position, groups)
        if component is None:
            continue
        if component.id in found:
            check.error(item.pos, f"component {component.id!r} is listed twice")
            continue
        found[component.id] = component
    return tuple(found.values())


def _component(
    node: YNode, check: Checker, position: int, groups: dict[str, ComponentGroup]
) -> Component | None:
    fields = check.keys(node, "a component", COMPONENT_KEYS, required=("id", "name"))
    if fields is None:
        return None
    identity = read_slug(check, fields.get("id"), "a component's id")
    name = localized(fields["name"], check, "name") if "name" in fields else None
    description = (
        localized(fields["description"], check, "description") if ("description" in fields) else {}
    )
    group = None
    if "group" in fields:
        group_name = localized(fields["group"], check, "group")
        if group_name is not None:
            group = groups.setdefault(
                _slug(group_name["en"]), ComponentGroup(_slug(group_name["en"]), group_name)
            )
            if group.name != group_name:
                check.error(fields["group"].pos, f"group {group.id!r} has other names elsewhere")
    if identity is None or name is None or description is None:
        return None
    return Component(identity, name, group, description, position)


def localized(node: YNode, check: Checker, what: str) -> dict[str, str] | None:
    """Text per locale: one string for every locale, or a mapping with each of them."""
    if isinstance(node.value, str):
        text = check.string(node, what)
        return {locale: text for locale in LOCALES} if text is not None else None
    fields = check.keys(node, what, LOCALES, required=LOCALES)
    if fields is None:
        return None
    texts = {locale: check.string(child, f"{what}.{locale}") for locale, child in fields.items()}
    if any(text is None for text in texts.values()) or set(texts) != set(LOCALES):
        return None
    return {locale: str(texts[locale]) for locale in LOCALES}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "group"
