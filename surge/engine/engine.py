"""The engine: opens incidents, moves them through their lifecycle and runs their steps.

All state lives in the store. The engine claims due step runs, runs each one as its own
task, and writes the outcome before it schedules what follows, so a process that dies at
any point is resumed by the next one from the store alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from surge.actions import ActionRegistry
from surge.config import Config
from surge.engine import flow
from surge.engine.executor import StepExecutor
from surge.metrics import Metrics
from surge.playbook.library import PlaybookLibrary
from surge.playbook.params import coerce_params
from surge.plugin.manager import PluginManager
from surge.redact import Redactor
from surge.store.base import Store
from surge.store.records import (
    EngineRecord,
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
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._events: dict[int, asyncio.Task[None]] = {}  # the latest event of each incident
        self.stragglers: set[asyncio.Task[Any]] = set()  # calls cut off, not yet ended
        self._loops: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None
        self.running = False
        plugins.on_error = self._plugin_failed

    # -- lifecycle of the engine itself --

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        await self._heartbeat()
        self.running = True
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="surge-claim"),
            asyncio.create_task(self._lease_loop(), name="surge-lease"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, give running steps ``grace`` seconds, then cut them off.

        A step cut off here is left claimed with an expired lease, so the next engine
        treats it like one whose process died: re-run if safe, else ``unknown``.
        """
        self.running = False
        self._wake.set()
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            # expire their leases so the next engine takes them over at once
            await self.store.renew_leases(
                self.id, [_run_id(task) for task in pending], self.clock()
            )
        await self.drain_events()
        await self.store.remove_engine(self.id)
        if self._http is not None:
            await self._http.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the engine is not started")
        return self._http

    def wake(self) -> None:
        self._wake.set()

    def emit(self, incident_id: int, event: Callable[[], Awaitable[None]]) -> None:
        """Tell plugins about an incident in the background, in order per incident.

        Hooks are bounded by the plugin manager's timeout, but nobody should wait even
        that long: not an API caller, not the step whose action changed the status.
        """
        previous = self._events.get(incident_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            await event()

        task = asyncio.ensure_future(run())
        self._events[incident_id] = task
        task.add_done_callback(lambda done: self._event_done(incident_id, done))

    def _event_done(self, incident_id: int, task: asyncio.Task[None]) -> None:
        if self._events.get(incident_id) is task:
            del self._events[incident_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("plugin event failed", exc_info=task.exception())

    async def drain_events(self) -> None:
        """Wait for the events still being delivered (each bounded by the hook timeout)."""
        while self._events:
            await asyncio.wait(list(self._events.values()))

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
        )
        opened = TimelineEntry(
            0,
            now,
            actor,
            "incident.opened",
            f"{playbook.title}: triggered ({source}) by {actor}",
            {"params": self.redactor.value(params), "trigger": source},
        )
        incident = await self.store.create_incident(
            incident, flow.first_run(playbook, Phase.STEPS, now), [opened]
        )
        self.wake()
        self.emit(incident.id, lambda: self.plugins.incident_opened(incident))
        return incident

    async def change_status(
        self, incident_id: int, new: IncidentStatus, actor: str, note: str = ""
    ) -> Incident:
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
            incident_id, new, _ALLOWED_FROM[new], now, [entry], new_runs
        )
        if changed is None:
            current = await self.store.get_incident(incident_id)
            status = current.status.value if current else "gone"
            raise TransitionError(
                f"incident {incident_id} is {status}; it cannot be set to {new.value}"
            )
        updated, previous = changed
        self.wake()
        self.emit(
            updated.id, lambda: self.plugins.incident_status_changed(updated, previous, actor)
        )
        return updated

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

    # -- the loops --

    async def _claim_loop(self) -> None:
        executor = StepExecutor(self)
        settings = self.config.engine
        while self.running:
            self._wake.clear()
            free = settings.max_concurrency - len(self._tasks)
            runs = []
            if free > 0:
                now = self.clock()
                lease = now + timedelta(seconds=settings.lease)
                try:
                    runs = await self.store.claim_due_runs(self.id, now, lease, free)
                except Exception:
                    log.exception("could not claim step runs; trying again")
            for run in runs:
                task = asyncio.create_task(executor.execute(run), name=f"surge-run-{run.id}")
                self._tasks.add(task)
                task.add_done_callback(self._task_done)
            if len(runs) == free and free > 0:
                continue  # there may be more due right now
            await self._sleep(settings.poll_interval)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("step task failed", exc_info=task.exception())
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _lease_loop(self) -> None:
        every = max(self.config.engine.lease / 3, 0.05)
        while self.running:
            await asyncio.sleep(every)
            try:
                await self._heartbeat()
            except Exception:
                log.exception("could not renew leases")

    async def _heartbeat(self) -> None:
        now = self.clock()
        running = [_run_id(task) for task in self._tasks]
        await self.store.renew_leases(
            self.id, running, now + timedelta(seconds=self.config.engine.lease)
        )
        await self.store.heartbeat(
            EngineRecord(self.id, socket.gethostname(), os.getpid(), self.started_at, now)
        )


def _run_id(task: asyncio.Task[None]) -> int:
    return int(task.get_name().rsplit("-", 1)[1])
