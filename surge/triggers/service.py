"""The triggers of one surge instance: the alert intake and, when Prometheus is configured,
the metric watcher, evaluated by the leading replica only (``surge.replicas.Leader``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from surge.config import Config
from surge.engine.engine import Engine
from surge.playbook.model import MetricTrigger
from surge.replicas import Leader
from surge.triggers.admission import Admission
from surge.triggers.alerts import AlertIntake
from surge.triggers.prometheus import query_source
from surge.triggers.watcher import MetricWatcher

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 15.0  # seconds between rounds when no `prometheus:` says otherwise


class Triggers:
    def __init__(self, engine: Engine, config: Config, leader: Leader) -> None:
        self.engine = engine
        self.config = config
        self.leader = leader
        self.admission = Admission(engine)
        self.intake = AlertIntake(engine, self.admission)
        self.watcher: MetricWatcher | None = None
        self._task: asyncio.Task[None] | None = None
        self._now = asyncio.Event()  # set when this replica becomes the leader
        # seconds between evaluation rounds (a simulated source may be asked more often)
        self.interval = config.prometheus.interval if config.prometheus else DEFAULT_INTERVAL

    def metric_triggers(self) -> int:
        return sum(
            isinstance(trigger, MetricTrigger)
            for playbook in self.engine.playbooks.all()
            for trigger in playbook.triggers
        )

    async def start(self) -> None:
        source = query_source(self.engine.services, self.config.prometheus, self.engine.http)
        if source is None or not self.metric_triggers():
            return
        self.watcher = MetricWatcher(self.engine, self.admission, source)
        self.leader.listeners.append(lambda leading: self._now.set() if leading else None)
        self._task = asyncio.create_task(self._loop(self.interval), name="surge-metrics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def leading(self) -> bool:
        return self.leader.leading

    async def _loop(self, interval: float) -> None:
        assert self.watcher is not None
        while True:
            self._now.clear()
            try:
                if self.leader.leading:
                    # the fence: a replica that lost the lead mid-round stores nothing
                    await self.watcher.evaluate(self.engine.clock(), fence=self.leader.check)
                else:
                    self.watcher.forget()  # another replica evaluates: show nothing stale
            except Exception:  # one bad round must not stop the watching
                log.exception("metric trigger evaluation failed; trying again next round")
            with contextlib.suppress(TimeoutError):  # a new leader evaluates at once
                await asyncio.wait_for(self._now.wait(), interval)

    def status(self) -> dict[str, object]:
        """For /readyz: whether this replica evaluates, and each metric trigger's health."""
        if self.config.prometheus is None and self.engine.services.metrics is None:
            found = self.metric_triggers()
            note = f"{found} metric trigger(s) but no `prometheus:` in the config" if found else ""
            return {"metric_triggers": found, "evaluating": False, "note": note}
        health = self.watcher.health if self.watcher else {}
        return {
            "metric_triggers": self.metric_triggers(),
            "evaluating": self.leading,
            # the kind of failure only: details (hosts, query errors) go to the log and to
            # the incidents' timelines, not to a public page
            "triggers": {
                f"{playbook}#{key}": ":".join(state.split(":")[:2])
                for (playbook, key), state in health.items()
            },
        }
