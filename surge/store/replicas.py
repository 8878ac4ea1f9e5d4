"""What replicas sharing one store need from it: who leads, and news of changes.

``Leadership`` elects one leader among the processes sharing a store (an advisory lock
held on a dedicated connection on PostgreSQL; a lease renewed in a table on SQLite).
``ChangeFeed`` tells every process when an incident's timeline or step runs change
(LISTEN/NOTIFY on PostgreSQL; polling on SQLite): the engine wakes on it, and live views
(the console's server-sent events) subscribe to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass

log = logging.getLogger(__name__)


class Leadership(ABC):
    """One named leadership; ``attempt`` is called every ``leader_check`` by each replica."""

    problem: str | None = None  # why this replica cannot lead (e.g. the database is gone)

    @abstractmethod
    async def attempt(self) -> bool:
        """Take the lead if nobody holds it, or confirm that this replica still does.

        False when another replica leads, or when the store cannot be reached (then
        ``problem`` says why); a replica that gets False must stop its leader's work."""

    @abstractmethod
    async def resign(self) -> None:
        """Let another replica take over at once (a clean stop)."""


@dataclass(frozen=True)
class Change:
    """Something committed to the store.

    ``timeline``: a new entry (``entry_id``) on the incident's timeline; every change of
    an incident (opened, status, step started or finished) writes one. ``runs``: a step
    run of the incident is new or fell due. ``resync``: changes may have been missed (the
    feed reconnected, or this subscriber fell behind): reload what you show."""

    kind: str
    incident_id: int = 0
    entry_id: int = 0


RESYNC = Change("resync")


class Subscription:
    """``async for change in subscription``; changes beyond ``limit`` unread are dropped
    and replaced by one ``resync``."""

    def __init__(self, feed: ChangeFeed, limit: int) -> None:
        self._feed = feed
        self._queue: asyncio.Queue[Change] = asyncio.Queue(limit)
        self._overflowed = False

    def offer(self, change: Change) -> None:
        if self._overflowed:
            return
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self._overflowed = True

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Change:
        if self._overflowed and self._queue.empty():
            self._overflowed = False
            return RESYNC
        return await self._queue.get()

    def close(self) -> None:
        self._feed.unsubscribe(self)


class ChangeFeed(ABC):
    """One per process; ``publish`` fans each change out to every subscriber."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def subscribe(self, limit: int = 1000) -> AsyncIterator[Subscription]:
        subscription = Subscription(self, limit)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            subscription.close()

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def publish(self, change: Change) -> None:
        for subscription in list(self._subscribers):
            subscription.offer(change)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._guarded(), name="surge-changes")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _guarded(self) -> None:
        while True:
            try:
                await self._produce()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the feed must outlive a lost connection
                log.warning("change feed interrupted (%s); reconnecting", error)
            self.publish(RESYNC)
            await asyncio.sleep(1.0)

    @abstractmethod
    async def _produce(self) -> None:
        """Publish changes as they are committed, until cancelled or the source fails."""
