"""Telling plugins what happened to incidents, in the background and in order per incident.

Hooks are bounded by the plugin manager's timeout, but nobody should wait even that long:
not an API caller, not the step whose action changed the status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Events:
    def __init__(self) -> None:
        self.enabled = True  # off for dry runs (surge simulate)
        self._latest: dict[int, asyncio.Task[None]] = {}  # the newest event of each incident

    def emit(self, incident_id: int, event: Callable[[], Awaitable[None]]) -> None:
        """Run ``event()`` after the incident's earlier events, without waiting for it."""
        if not self.enabled:
            return
        previous = self._latest.get(incident_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            await event()

        task = asyncio.ensure_future(run())
        self._latest[incident_id] = task
        task.add_done_callback(lambda done: self._done(incident_id, done))

    def _done(self, incident_id: int, task: asyncio.Task[None]) -> None:
        if self._latest.get(incident_id) is task:
            del self._latest[incident_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("plugin event failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for the events still being delivered."""
        while self._latest:
            await asyncio.wait(list(self._latest.values()))
