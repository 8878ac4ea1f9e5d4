"""Running the latest of many requests for the same work, one at a time.

A room's summary is redrawn after every step and status change; when changes come faster
than the provider answers, the calls in between are folded into one more run at the end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable


class Coalescer:
    def __init__(self) -> None:
        self._running: set[Hashable] = set()
        self._again: set[Hashable] = set()

    async def run(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` now, or, when it is running for ``key`` already, once more after it."""
        if key in self._running:
            self._again.add(key)
            return
        self._running.add(key)
        try:
            await work()
            while key in self._again:
                self._again.discard(key)
                await work()
        finally:
            self._running.discard(key)
            self._again.discard(key)
