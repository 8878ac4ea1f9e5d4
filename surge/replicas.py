"""Several ``surge serve`` replicas on one store: the leader, and waking on others' changes.

Every replica runs the engine (step runs are claimed so each runs once) and takes webhook
alerts (they dedupe in the store). One replica, the leader, also does what must happen
once for all: evaluating the metric triggers. ``Leader`` asks the store's leadership
every ``leader_check``; when the leader dies another one takes over on its next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from surge.store.base import Store
from surge.store.replicas import ChangeFeed
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

log = logging.getLogger(__name__)
LEADERSHIP = "surge-leader"


@dataclass(frozen=True)
class ReplicaSettings:
    leader_check: float = 1.0  # how often each replica asks who leads
    leader_lease: float = 5.0  # SQLite: how long a leader that stopped renewing keeps the lead
    change_poll: float = 0.25  # SQLite: how often the change feed looks for new rows


def parse_replicas(node: YNode, check: Checker) -> ReplicaSettings:
    """The config's ``replicas:`` section: durations, each more than 0."""
    names = ("leader_check", "leader_lease", "change_poll")
    fields = check.keys(node, "replicas", names)
    values: dict[str, float] = {}
    for key in names:
        if fields is None or key not in fields:
            continue
        child = fields[key]
        seconds = check.duration(child, f"replicas.{key}")
        if seconds is not None and seconds <= 0:
            check.error(child.pos, f"replicas.{key} must be more than 0")
        elif seconds is not None:
            values[key] = seconds
    settings = ReplicaSettings(**values)
    if fields and settings.leader_lease <= settings.leader_check:
        check.error(node.pos, "replicas.leader_lease must be longer than replicas.leader_check")
    return settings


class Leader:
    """Whether this replica leads, kept fresh in the background."""

    def __init__(self, store: Store, holder: str, settings: ReplicaSettings) -> None:
        self.settings = settings
        self.leadership = store.leadership(LEADERSHIP, holder, settings.leader_lease)
        self.leading = False
        self.listeners: list[Callable[[bool], None]] = []  # told of every change
        self._task: asyncio.Task[None] | None = None

    @property
    def problem(self) -> str | None:
        return self.leadership.problem

    async def start(self) -> None:
        await self.check()
        self._task = asyncio.create_task(self._loop(), name="surge-leader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.leading:
            with contextlib.suppress(Exception):  # the lead goes anyway when the store closes
                await self.leadership.resign()
            log.info("this replica stops: it hands the lead over")
            self.leading = False

    async def check(self) -> bool:
        """Take or keep the lead now; also the fence a leader's round asks before it stores."""
        try:
            leading = await self.leadership.attempt()
        except Exception:
            log.exception("could not ask who leads")
            leading = False
        self._set(leading)
        return leading

    def _set(self, leading: bool) -> None:
        if leading == self.leading:
            return
        self.leading = leading
        if leading:
            log.info("this replica now leads (evaluates the metric triggers)")
        else:
            log.warning(
                "this replica no longer leads%s", f": {self.problem}" if self.problem else ""
            )
        for listener in self.listeners:
            listener(leading)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.leader_check)
            await self.check()


class Wakeups:
    """Wakes the engine when any replica commits a new or newly due step run or a timeline
    entry, so work another replica created starts without waiting for the next poll."""

    def __init__(self, feed: ChangeFeed, wake: Callable[[], None]) -> None:
        self.feed = feed
        self.wake = wake
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.feed.start()
        self._task = asyncio.create_task(self._loop(), name="surge-wakeups")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.feed.stop()

    async def _loop(self) -> None:
        async with self.feed.subscribe() as changes:
            async for _ in changes:
                self.wake()
