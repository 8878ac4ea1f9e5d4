"""The triggers of one surge instance: the alert intake and, when Prometheus is configured,
the metric watcher, evaluated by one replica at a time (a lease in the store)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from surge.config import Config
from surge.engine.engine import Engine
from surge.playbook.model import MetricTrigger
from surge.triggers.admission import Admission
from surge.triggers.alerts import AlertIntake
from surge.triggers.prometheus import PrometheusClient
from surge.triggers.watcher import MetricWatcher

log = logging.getLogger(__name__)
LEASE = "metric-watcher"


class Triggers:
    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.config = config
        self.admission = Admission(engine)
        self.intake = AlertIntake(engine, self.admission)
        self.watcher: MetricWatcher | None = None
        self.leading = False
        self._task: asyncio.Task[None] | None = None

    def metric_triggers(self) -> int:
        return sum(
            isinstance(trigger, MetricTrigger)
            for playbook in self.engine.playbooks.all()
            for trigger in playbook.triggers
        )

    async def start(self) -> None:
        settings = self.config.prometheus
        if settings is None or not self.metric_triggers():
            return
        source = PrometheusClient(settings, self.engine.http)
        self.watcher = MetricWatcher(self.engine, self.admission, source)
        self._task = asyncio.create_task(self._loop(settings.interval), name="surge-metrics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _lease(self) -> bool:
        """Take or renew the evaluation lease; long enough for a round that waits out
        every query's timeout, and renewed again before a round stores anything."""
        settings = self.config.prometheus
        assert settings is not None
        now = self.engine.clock()
        until = now + timedelta(seconds=3 * settings.interval + 3 * settings.timeout)
        return await self.engine.store.acquire_lease(LEASE, self.engine.id, now, until)

    async def _loop(self, interval: float) -> None:
        assert self.watcher is not None
        while True:
            try:
                self.leading = await self._lease()
                if self.leading:
                    await self.watcher.evaluate(self.engine.clock(), fence=self._lease)
                else:
                    self.watcher.forget()  # another replica evaluates: show nothing stale
            except Exception:  # one bad round must not stop the watching
                log.exception("metric trigger evaluation failed; trying again next round")
            await asyncio.sleep(interval)

    def status(self) -> dict[str, object]:
        """For /readyz: whether this replica evaluates, and each metric trigger's health."""
        if self.config.prometheus is None:
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
