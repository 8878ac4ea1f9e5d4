"""The demo's clock: the engine's time, running ``speed`` times faster than the wall's.

Everything in surge tells the time by the engine's clock (due times of waits and
escalations, `for` and `clear_for` of metric triggers, link expiry), so a faster clock
plays a half-hour incident in seconds through the same code. The run is placed so that
it ends about now: the clock starts that far in the past, and once the scenario is over
it runs at the wall's pace again, never going back.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class DemoClock:
    """Stopped at minute 0 until ``go()``, so that starting up takes no time of the run."""

    def __init__(self, speed: float, minutes: float) -> None:
        self.speed = speed
        self.start = datetime.now(UTC) - timedelta(minutes=minutes)  # minute 0 of the run
        self._origin = self.start  # the time at _since
        self._since: float | None = None  # None: stopped

    def __call__(self) -> datetime:
        if self._since is None:
            return self._origin
        elapsed = time.monotonic() - self._since
        return self._origin + timedelta(seconds=elapsed * self.speed)

    def go(self) -> None:
        if self._since is None:
            self._since = time.monotonic()

    def minute(self) -> float:
        return (self() - self.start).total_seconds() / 60

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        await asyncio.sleep(max(seconds, 0) / self.speed)

    def settle(self) -> None:
        """From now on run at the wall's pace; catch up with the wall if behind it."""
        now = max(self(), datetime.now(UTC))
        self._origin, self._since, self.speed = now, time.monotonic(), 1.0
