"""A robot's send queue: its order under load, its rate limit, and the notes it asks for."""

from __future__ import annotations

import asyncio

import pytest

from surge.channels.provider import ChannelError
from surge.robots.queue import RateLimit, RobotQueue, Throttled, identity, robot_queue


class FakeTime:
    """A clock the queue's sleeps move, so a minute of rate limit takes no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds
        await asyncio.sleep(0)


async def test_messages_keep_their_order_and_the_window_holds_the_third_one() -> None:
    time = FakeTime()
    queue = RobotQueue(RateLimit(2, 60.0), clock=time.clock, sleep=time.sleep)
    sent: list[tuple[str, float]] = []
    holds: list[tuple[float, str, int]] = []

    async def hold(seconds: float, why: str, waiting: int) -> None:
        holds.append((round(seconds, 3), why, waiting))

    def part(name: str):
        async def send() -> str:
            sent.append((name, time.now))
            await asyncio.sleep(0)  # the far side answers later: the others queue up
            return name

        return send

    results = await asyncio.gather(
        *(queue.send([part(f"m{n}a"), part(f"m{n}b")], hold) for n in range(3))
    )
    assert results == [["m0a", "m0b"], ["m1a", "m1b"], ["m2a", "m2b"]]
    assert [name for name, _ in sent] == ["m0a", "m0b", "m1a", "m1b", "m2a", "m2b"]
    assert [at - 1000.0 for _, at in sent] == [0, 0, 60, 60, 120, 120]
    why = "2 messages in 1m reached"
    assert holds == [(60.0, why, 1), (60.0, why, 0)]  # m2 waited behind m1, then alone
    assert time.slept == [60.0, 60.0]


async def test_a_throttled_answer_is_retried_after_its_wait_then_fails() -> None:
    time = FakeTime()
    queue = RobotQueue(RateLimit(20, 60.0, retries=2), clock=time.clock, sleep=time.sleep)
    answers = ["throttled", "throttled", "ok"]

    async def send() -> str:
        answer = answers.pop(0)
        if answer == "throttled":
            raise Throttled("errcode 45009", after=5.0)
        return answer

    assert await queue.send([send]) == ["ok"]
    assert time.slept == [5.0, 5.0]
    answers[:] = ["throttled"] * 3
    with pytest.raises(Throttled):
        await queue.send([send])


async def test_a_wait_longer_than_max_hold_fails_the_send_for_the_backup() -> None:
    time = FakeTime()
    queue = RobotQueue(RateLimit(1, 600.0, max_hold=30.0), clock=time.clock, sleep=time.sleep)

    async def send() -> None:
        return None

    await queue.send([send])
    with pytest.raises(ChannelError, match="more than 30s") as caught:
        await queue.send([send])
    assert caught.value.retryable is True
    assert time.slept == []


async def test_one_queue_per_robot_and_loop_named_without_its_secret() -> None:
    name = identity("wecom", "https://qyapi.example/webhook/send", "key-abc-123")
    assert name.startswith("wecom:") and "key-abc-123" not in name
    first = robot_queue(name, RateLimit(20, 60.0))
    assert robot_queue(name, RateLimit(10, 60.0)) is first
    assert first.limit.count == 10
    assert robot_queue(identity("wecom", "other"), RateLimit(20, 60.0)) is not first
