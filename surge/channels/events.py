"""Keeping each room's summary current: a built-in plugin that one runtime registers with
its own channels service, so two runtimes in one process never share it."""

from __future__ import annotations

from surge.channels.hub import Channels
from surge.channels.rooms import refresh_summaries
from surge.plugin import hookimpl
from surge.store.records import Incident


class SummaryUpdates:
    """Redraws the summaries of an incident's rooms after its status or a step changed."""

    def __init__(self) -> None:
        self.channels: Channels | None = None  # set once the runtime has built it

    async def _refresh(self, incident: Incident) -> None:
        if self.channels is not None and self.channels.bindings:
            await refresh_summaries(self.channels, incident.id)

    @hookimpl
    async def surge_incident_status_changed(self, incident: Incident) -> None:
        await self._refresh(incident)

    @hookimpl
    async def surge_step_finished(self, incident: Incident) -> None:
        await self._refresh(incident)
