"""Running the latest of many requests for the same work, one at a time.

A room's summary is redrawn after every step and status change; when changes come faster
than the provider answers, the requests that arrive during a run are folded into one more
run at the end, and each caller returns once the run that covers its request is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable


class Coalescer:
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[None]] = {}
        self._again: set[Hashable] = set()

    async def run(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` now or, while it runs for ``key`` already, once more after it."""
        if key in self._running:
            self._again.add(key)
            await asyncio.shield(self._running[key])
            return
        finished = asyncio.get_running_loop().create_future()
        self._running[key] = finished
        try:
            await work()
            while key in self._again:
                self._again.discard(key)
                await work()
        finally:
            del self._running[key]
            self._again.discard(key)
            finished.set_result(None)
