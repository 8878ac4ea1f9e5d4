"""The words of a page: an approved response script, rendered in the person's locale."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surge.rota.model import Person
from surge.scripts.active import Scripts
from surge.scripts.approval import NotApproved, require_approved
from surge.scripts.rules import render

DEFAULT_SCRIPTS = {"escalation": "page-oncall", "call-in": "call-in"}


async def page_text(
    scripts: Scripts | None, script_id: str, person: Person, variables: Mapping[str, Any]
) -> tuple[str, str]:
    """``(subject, text)``: the script's wording in the person's locale (else its first),
    the subject its first line. ValueError (NotApproved, ScriptError, unknown script)
    when the script may not or cannot be used: nothing is then sent."""
    if scripts is None:
        raise ValueError(f"no response scripts are loaded; pages need script {script_id!r}")
    script = scripts.get(script_id)
    try:
        await require_approved(scripts.store, script)
    except NotApproved as error:
        raise ValueError(str(error)) from None
    locale = person.locale if person.locale in script.locales else next(iter(script.locales))
    text = render(script, locale, variables, templates=scripts.templates).text.strip()
    return text.splitlines()[0].strip(), text
