"""The engine's background work: claiming due step runs, running each as a task, and
keeping their leases (and this engine's heartbeat) fresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta
from typing import TYPE_CHECKING

from surge.engine.executor import StepExecutor
from surge.store.base import StoreUnavailable
from surge.store.records import EngineRecord

if TYPE_CHECKING:
    from surge.engine.engine import Engine

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.running = False
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        # why the store last refused a write (disk full, read-only), until one succeeds
        self.store_problem: str | None = None

    async def start(self) -> None:
        await self._heartbeat()
        self.running = True
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="surge-claim"),
            asyncio.create_task(self._lease_loop(), name="surge-lease"),
        ]

    async def stop(self, grace: float) -> None:
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
            engine = self.engine
            await engine.store.renew_leases(
                engine.id, [_run_id(task) for task in pending], engine.clock()
            )
        await self.engine.store.remove_engine(self.engine.id)

    def wake(self) -> None:
        self._wake.set()

    async def _claim_loop(self) -> None:
        engine = self.engine
        executor = StepExecutor(engine)
        settings = engine.config.engine
        while self.running:
            self._wake.clear()
            free = settings.max_concurrency - len(self._tasks)
            runs = []
            if free > 0:
                now = engine.clock()
                lease = now + timedelta(seconds=settings.lease)
                try:
                    runs = await engine.store.claim_due_runs(engine.id, now, lease, free)
                except Exception as error:
                    self._store_failed("could not claim step runs", error)
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
        every = max(self.engine.config.engine.lease / 3, 0.05)
        while self.running:
            await asyncio.sleep(every)
            try:
                await self._heartbeat()
            except Exception as error:
                self._store_failed("could not renew leases", error)
            else:
                self._store_ok()

    def _store_failed(self, doing: str, error: Exception) -> None:
        """Log a store failure once with its traceback, then quietly until it changes:
        a full disk must not also fill the log."""
        problem = f"{type(error).__name__}: {error}"
        if isinstance(error, StoreUnavailable):  # the store's own words say what is wrong
            problem = str(error)
        if problem == self.store_problem:
            log.debug("%s: %s", doing, problem)
            return
        self.store_problem = problem
        log.error(
            "%s: %s; steps wait until the store can write again (see /readyz)",
            doing,
            problem,
            exc_info=error,
        )

    def _store_ok(self) -> None:
        if self.store_problem is not None:
            log.warning("the store can write again (it failed with %s)", self.store_problem)
            self.store_problem = None

    async def _heartbeat(self) -> None:
        engine = self.engine
        now = engine.clock()
        running = [_run_id(task) for task in self._tasks]
        lease = now + timedelta(seconds=engine.config.engine.lease)
        await engine.store.renew_leases(engine.id, running, lease)
        await engine.store.heartbeat(
            EngineRecord(engine.id, socket.gethostname(), os.getpid(), engine.started_at, now)
        )


def _run_id(task: asyncio.Task[None]) -> int:
    return int(task.get_name().rsplit("-", 1)[1])
