"""Turning approved response scripts into the messages channels carry.

Nothing a channel sends is free text: a message is an approved script rendered through
``surge.scripts`` (approval checked, vars typed, every rule enforced) in the locales the
channel wants. A script that is not approved, or whose text breaks a rule, is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from surge.scripts.active import Scripts
from surge.scripts.approval import NotApproved, require_approved
from surge.scripts.model import Script
from surge.scripts.rules import Rendered, ScriptError, render


class MessageRefused(Exception):
    """The script cannot be sent: unknown, not approved, or its text breaks a rule."""


def choose_locales(script: Script, wanted: Sequence[str]) -> list[str]:
    """The channel's locales that the script has, in the channel's order; a channel that
    wants none of them (or names none) gets every wording the script has."""
    chosen = [locale for locale in wanted if locale in script.locales]
    return chosen or list(script.locales)


async def render_script(
    scripts: Scripts,
    script_id: str,
    variables: Mapping[str, Any],
    locales: Sequence[str],
    medium: str | None,
) -> tuple[Script, tuple[Rendered, ...]]:
    """The approved script rendered in each chosen locale, held to its length rule for
    ``medium``; MessageRefused says why it may not be sent."""
    try:
        script = scripts.get(script_id)
        await require_approved(scripts.store, script)
        texts = tuple(
            render(script, locale, variables, channel=medium, templates=scripts.templates)
            for locale in choose_locales(script, locales)
        )
    except (ScriptError, NotApproved) as error:
        raise MessageRefused(str(error)) from None
    return script, texts


async def render_active(
    scripts: Scripts, incident_id: int, locales: Sequence[str], medium: str | None
) -> tuple[Script, tuple[Rendered, ...], dict[str, Any]]:
    """The incident's active script (``script.activate``), rendered like ``render_script``."""
    active = await scripts.store.active_script(incident_id)
    if active is None:
        raise MessageRefused(
            f"incident {incident_id} has no active script; run script.activate first"
        )
    script, texts = await render_script(
        scripts, active.script_id, active.variables, locales, medium
    )
    return script, texts, dict(active.variables)


def content_hash(texts: Sequence[Rendered]) -> str:
    """Tells an updated message from the same one sent again."""
    digest = hashlib.sha256()
    for item in texts:
        digest.update(f"{item.locale}\0{item.text}\0".encode())
    return digest.hexdigest()


def digest(value: Any) -> str:
    """A short stable hash of a JSON value (a key for calls that carry no step's key)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
