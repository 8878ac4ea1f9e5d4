"""A virtual clock and a Prometheus stand-in that the test controls, for watcher tests.

The real Prometheus is used in tests/triggers/test_prometheus_live.py; here the answers are
set by hand so each phase change can be checked to the second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from surge.triggers.prometheus import PrometheusUnavailable, Sample

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class FakePrometheus:
    """``answers[expr]`` is a list of samples, or an exception to raise."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Sample] | Exception] = {}
        self.asked: list[tuple[str, datetime]] = []

    def set(self, expr: str, *series: tuple[dict[str, str], float]) -> None:
        self.answers[expr] = [Sample(labels, value) for labels, value in series]

    def fail(self, expr: str, why: str = "connection refused") -> None:
        self.answers[expr] = PrometheusUnavailable(why)

    async def query(self, expression: str, at: datetime) -> list[Sample]:
        self.asked.append((expression, at))
        answer = self.answers.get(expression, [])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def prometheus() -> FakePrometheus:
    return FakePrometheus()


@pytest.fixture
def at(clock: Clock) -> Callable[[float], datetime]:
    """``at(30)``: the clock set to 30 s after T0."""

    def set_to(seconds: float) -> datetime:
        clock.now = T0 + timedelta(seconds=seconds)
        return clock.now

    return set_to
