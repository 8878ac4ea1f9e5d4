"""One chat robot's messages, sent one at a time in the order they were asked for and
no faster than the platform allows.

Platforms limit each group robot (20 messages a minute, and a robot that goes over may
be muted for minutes), whoever sends: an incident room's posts, its summary and the
pages that mention someone in the group all count. So each robot has one queue per
event loop, found by ``robot_queue(identity, limit)``; ``identity`` names the robot
without its secret (a digest of its address).

Before a message goes out the queue waits for room in its window (the last ``count``
sends within ``per`` seconds) and says so through ``hold`` (the caller writes that on
the incident's timeline). A far side that still answers "too many" raises ``Throttled``;
the message is tried again after the wait it asked for, up to ``retries`` times. A wait
longer than ``max_hold`` is not taken: the send fails (retryable), so the post falls
over to the channel's backup instead of holding every later message of the robot.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from surge.channels.provider import ChannelError
from surge.durations import format_duration

T = TypeVar("T")
# hold(seconds, why, waiting): the queue holds a message back; ``waiting`` others behind it
Hold = Callable[[float, str, int], Awaitable[None]]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RateLimit:
    count: int  # messages
    per: float  # seconds
    retries: int = 3  # "too many" answers taken, each after its wait, before a send fails
    max_hold: float = 90.0  # the longest wait before one message; longer fails the send

    def describe(self) -> str:
        return f"{self.count} messages in {format_duration(self.per)}"


class Throttled(ChannelError):
    """The far side refused a message for its rate limit; ``after``: seconds to wait."""

    def __init__(self, message: str, after: float) -> None:
        super().__init__(message, retryable=True)
        self.after = after


class RobotQueue:
    def __init__(
        self, limit: RateLimit, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self.sent: deque[float] = deque()  # when each of the latest sends went out
        self._lock = asyncio.Lock()  # FIFO: waiters get their turn in the order they came
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def send(
        self, parts: Sequence[Callable[[], Awaitable[T]]], hold: Hold | None = None
    ) -> list[T]:
        """Send the parts of one message in order, in one turn (no other message of the
        robot comes between them); their answers."""
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            return [await self._one(part, hold) for part in parts]
        finally:
            self._lock.release()

    async def _one(self, part: Callable[[], Awaitable[T]], hold: Hold | None) -> T:
        for attempt in range(self.limit.retries + 1):
            await self._room(hold)
            try:
                result = await part()
            except Throttled as error:
                self.sent.append(self.clock())
                if attempt == self.limit.retries:
                    raise
                why = f"the platform refused a message for its rate limit ({error})"
                await self._wait(max(error.after, 0.0), why, hold)
                continue
            except BaseException:
                self.sent.append(self.clock())
                raise
            # counted when the answer came: the far side counted it no later than that
            self.sent.append(self.clock())
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _room(self, hold: Hold | None) -> None:
        window = self.limit.per
        while True:
            now = self.clock()
            while self.sent and self.sent[0] <= now - window:
                self.sent.popleft()
            if len(self.sent) < self.limit.count:
                return
            why = f"{self.limit.describe()} reached"
            await self._wait(self.sent[0] + window - now, why, hold)

    async def _wait(self, seconds: float, why: str, hold: Hold | None) -> None:
        if seconds > self.limit.max_hold:
            raise ChannelError(
                f"{why}; the next send is {format_duration(seconds)} away, more than "
                f"{format_duration(self.limit.max_hold)}",
                retryable=True,
            )
        if hold is not None:
            await hold(seconds, why, self._waiting)
        await self.sleep(seconds)


_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RobotQueue]] = (
    weakref.WeakKeyDictionary()
)


def robot_queue(identity: str, limit: RateLimit) -> RobotQueue:
    """The queue of the robot ``identity`` on the running event loop (made on first use;
    a later ``limit`` for the same robot replaces the earlier one)."""
    loop = asyncio.get_running_loop()
    queues = _QUEUES.setdefault(loop, {})
    queue = queues.get(identity)
    if queue is None:
        queue = queues[identity] = RobotQueue(limit)
    queue.limit = limit
    return queue


def identity(platform: str, *parts: str) -> str:
    """A robot's name in logs and queues: the platform and a digest of its address and
    credentials, which it never shows."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    return f"{platform}:{digest}"
