"""The script an incident's agents must follow: activated by a playbook step, read back
rendered in a locale, and the default for checking their replies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from surge.scripts.approval import require_approved
from surge.scripts.library import ScriptLibrary
from surge.scripts.model import Script
from surge.scripts.rules import Rendered, ScriptError, render
from surge.store.base import Store
from surge.store.records import ActiveScript
from surge.templating import Templates


class Scripts:
    """Response scripts as one engine uses them: the library, approvals in the store."""

    def __init__(self, library: ScriptLibrary, store: Store, templates: Templates) -> None:
        self.library = library
        self.store = store
        self.templates = templates

    def get(self, script_id: str) -> Script:
        script = self.library.get(script_id)
        if script is None:
            known = ", ".join(item.id for item in self.library.all()) or "none loaded"
            raise ScriptError([f"no script {script_id!r} (known: {known})"])
        return script

    async def activate(
        self,
        incident_id: int,
        script_id: str,
        variables: Mapping[str, Any],
        actor: str,
        at: datetime,
    ) -> ActiveScript:
        """Make ``script_id`` the incident's script: only an approved one whose every
        locale renders with ``variables`` without breaking a rule."""
        script = self.get(script_id)
        await require_approved(self.store, script)
        for locale in script.locales:
            render(script, locale, variables, templates=self.templates)
        active = ActiveScript(incident_id, script.id, dict(variables), actor, at)
        await self.store.set_active_script(active)
        return active

    async def rendered(self, incident_id: int, locale: str) -> tuple[Script, Rendered] | None:
        """The incident's script in ``locale`` (or its first), or None when it has none."""
        active = await self.store.active_script(incident_id)
        if active is None:
            return None
        script = self.get(active.script_id)
        await require_approved(self.store, script)
        chosen = locale if locale in script.locales else next(iter(script.locales))
        return script, render(script, chosen, active.variables, templates=self.templates)
