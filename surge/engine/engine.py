"""The engine: opens incidents, moves them through their lifecycle and runs their steps.

All state lives in the store. The engine claims due step runs, runs each one as its own
task, and writes the outcome before it schedules what follows, so a process that dies at
any point is resumed by the next one from the store alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from surge.actions import ActionRegistry
from surge.config import Config
from surge.engine import flow
from surge.engine.events import Events
from surge.engine.worker import Worker
from surge.metrics import Metrics
from surge.playbook.library import PlaybookLibrary
from surge.playbook.model import Playbook
from surge.playbook.params import coerce_params
from surge.plugin.manager import PluginManager
from surge.redact import Redactor
from surge.scripts.active import Scripts
from surge.services import Services
from surge.store.base import Store
from surge.store.records import (
    Incident,
    IncidentStatus,
    NewRun,
    Phase,
    TimelineEntry,
)
from surge.templating import Templates

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

_ALLOWED_FROM: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    # a mitigated incident whose problem comes back (an alert joins it) fires again
    IncidentStatus.TRIGGERED: (IncidentStatus.MITIGATED,),
    IncidentStatus.ACKNOWLEDGED: (IncidentStatus.TRIGGERED,),
    IncidentStatus.MITIGATED: (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED),
    IncidentStatus.RESOLVED: (
        IncidentStatus.TRIGGERED,
        IncidentStatus.ACKNOWLEDGED,
        IncidentStatus.MITIGATED,
    ),
    IncidentStatus.CANCELLED: (
        IncidentStatus.TRIGGERED,
        IncidentStatus.ACKNOWLEDGED,
        IncidentStatus.MITIGATED,
    ),
}


def may_become(current: IncidentStatus, new: IncidentStatus) -> bool:
    """A person may change an incident of status ``current`` to ``new`` (the console
    shows only the buttons that can work)."""
    return current in _ALLOWED_FROM.get(new, ())


@dataclass
class NewIncident:
    incident: Incident
    first_runs: list[NewRun]
    opened: TimelineEntry


class UnknownPlaybook(LookupError):
    pass


class UnknownIncident(LookupError):
    pass


class TransitionError(ValueError):
    """The incident's status does not allow the change asked for."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self,
        config: Config,
        store: Store,
        plugins: PluginManager,
        playbooks: PlaybookLibrary,
        actions: ActionRegistry,
        templates: Templates,
        metrics: Metrics | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.config = config
        self.store = store
        self.plugins = plugins
        self.playbooks = playbooks
        self.actions = actions
        self.templates = templates
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.redactor = Redactor(config.secrets())
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.started_at = clock()
        self.stragglers: set[asyncio.Task[Any]] = set()  # calls cut off, not yet ended
        self.events = Events()
        self.services = Services()  # filled by the runtime once its parts are loaded
        self.worker = Worker(self)
        self._http: aiohttp.ClientSession | None = None
        plugins.on_error = self._plugin_failed

    # -- lifecycle of the engine itself --

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        await self.worker.start()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop running steps (see ``Worker.stop``), deliver pending events, close."""
        await self.worker.stop(grace)
        await self.events.drain()
        if self._http is not None:
            await self._http.close()

    @property
    def scripts(self) -> Scripts | None:
        return self.services.scripts

    @property
    def running(self) -> bool:
        return self.worker.running

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the engine is not started")
        return self._http

    def wake(self) -> None:
        """Look for due steps now rather than at the next poll."""
        self.worker.wake()

    # -- incidents --

    async def trigger(
        self,
        playbook_id: str,
        raw_params: Mapping[str, Any],
        *,
        actor: str,
        source: str = "manual",
        context: Mapping[str, Any] | None = None,
    ) -> Incident:
        playbook = self.playbooks.get(playbook_id)
        if playbook is None:
            raise UnknownPlaybook(playbook_id)
        params = coerce_params(playbook, raw_params)
        new = self.prepare(
            playbook,
            params,
            actor=actor,
            source=source,
            context=context,
            # with group_by, a person's incident is its group's incident too (an alert for
            # it joins); without, people may run the playbook as often as they like
            group_key=playbook.group_key(params) if playbook.group_by else "",
        )
        incident = await self.store.create_incident(new.incident, new.first_runs, [new.opened])
        self.opened(incident)
        return incident

    def prepare(
        self,
        playbook: Playbook,
        params: dict[str, Any],
        *,
        actor: str,
        source: str,
        context: Mapping[str, Any] | None = None,
        group_key: str = "",
    ) -> NewIncident:
        """An incident ready to be stored, with its first step and opening entry."""
        now = self.clock()
        incident = Incident(
            id=0,
            playbook_id=playbook.id,
            title=playbook.title,
            severity=playbook.severity,
            status=IncidentStatus.TRIGGERED,
            trigger=source,
            triggered_by=actor,
            params=params,
            created_at=now,
            updated_at=now,
            context=dict(context or {}),
            playbook_hash=playbook.content_hash,
            group_key=group_key,
        )
        opened = TimelineEntry(
            0,
            now,
            actor,
            "incident.opened",
            f"{playbook.title}: triggered ({source}) by {actor}",
            {"params": self.redactor.value(params), "trigger": source},
        )
        return NewIncident(incident, list(flow.first_run(playbook, Phase.STEPS, now)), opened)

    def opened(self, incident: Incident) -> None:
        """A new incident was stored: start its steps and tell the plugins."""
        self.wake()
        self.events.emit(incident.id, lambda: self.plugins.incident_opened(incident))

    async def change_status(
        self,
        incident_id: int,
        new: IncidentStatus,
        actor: str,
        note: str = "",
        *,
        only_if_quiet: bool = False,
    ) -> Incident:
        """Change the status; with ``only_if_quiet`` only while none of the incident's
        alerts or series fires (so a clear never races a signal that just joined)."""
        if new not in _ALLOWED_FROM:
            raise TransitionError(f"an incident cannot be set to {new.value}")
        now = self.clock()
        incident = await self.store.get_incident(incident_id)
        if incident is None:
            raise UnknownIncident(incident_id)
        new_runs: tuple[NewRun, ...] = ()
        if not new.is_open:
            playbook = self.playbooks.get(incident.playbook_id)
            new_runs = flow.first_run(playbook, Phase.ON_RESOLVE, now) if playbook else ()
        message = f"{new.value} by {actor}" + (f": {note}" if note else "")
        entry = TimelineEntry(
            incident_id, now, actor, "status", message, {"status": new.value, "note": note}
        )
        changed = await self.store.change_status(
            incident_id,
            new,
            _ALLOWED_FROM[new],
            now,
            [entry],
            new_runs,
            only_if_quiet=only_if_quiet,
        )
        if changed is None:
            current = await self.store.get_incident(incident_id)
            status = current.status.value if current else "gone"
            if only_if_quiet and current is not None and current.status in _ALLOWED_FROM[new]:
                raise TransitionError(f"incident {incident_id} has signals firing again")
            raise TransitionError(
                f"incident {incident_id} is {status}; it cannot be set to {new.value}"
            )
        updated, previous = changed
        self.wake()
        self.events.emit(
            updated.id, lambda: self.plugins.incident_status_changed(updated, previous, actor)
        )
        if (paging := self.services.pagers) is not None:  # PagerDuty closes its incident too
            self.events.emit(updated.id, lambda: paging.status_changed(updated, previous))
        return updated

    async def escalate(self, incident_id: int, actor: str) -> int:
        """Stop waiting for an acknowledgement now: every step of the incident that waits
        on its status is woken with an ``escalate`` signal (``wait until:`` then fails, so
        its ``on_failure`` fallback, the escalation, runs). Returns how many were woken."""
        incident = await self.store.get_incident(incident_id)
        if incident is None:
            raise UnknownIncident(incident_id)
        if not incident.status.is_open:
            raise TransitionError(f"incident {incident_id} is {incident.status.value}")
        woken = await self.store.signal_waits(incident_id, {"escalate": actor}, self.clock())
        await self.note(
            incident_id,
            actor,
            "escalated",
            f"escalated by {actor}" + ("" if woken else " (no step was waiting)"),
            {"woken": woken},
        )
        self.wake()
        return woken

    async def refresh_metrics(self) -> None:
        """Read the incident counts from the store into the metrics (before a scrape)."""
        self.metrics.set_incident_counts(await self.store.incident_counts())

    async def note(
        self,
        incident_id: int,
        actor: str,
        kind: str,
        message: str,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        entry = TimelineEntry(
            incident_id,
            self.clock(),
            actor,
            kind,
            self.redactor.text(message),
            self.redactor.value(dict(data or {})),
        )
        await self.store.append_timeline([entry])

    async def _plugin_failed(
        self, plugin: str, hook: str, error: BaseException, incident: Incident | None
    ) -> None:
        self.metrics.plugin_errors.labels(plugin=plugin).inc()
        if incident is not None:
            await self.note(
                incident.id,
                f"plugin:{plugin}",
                "plugin.error",
                f"plugin {plugin} failed in {hook}: {error or type(error).__name__}",
            )
