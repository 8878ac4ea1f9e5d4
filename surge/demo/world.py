"""The simulated contact centre the demo's metrics come from: the signals the shipped
playbooks' conditions are made of, each a level over the scenario's minutes, with a
little seeded noise.

The three scenarios play what DESIGN.md's playbooks are for: a promotion peak (the
waiting queue and the contact rate climb; traffic-peak calls in staff), a channel outage
(web chat's error rate jumps; system-outage opens the backup channels) and a complaint
surge (complaints about one topic far above last week's; complaint-surge forms the
emergency group). ``all`` plays the three at once, staggered.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from surge.demo.promql import Labels, Vector, labels, squash

# The signals: sub-expressions of the shipped playbooks' queries (and staff.call_in's).
WAITING = "sum(cs_waiting_contacts)"
CONTACT_RATE = "sum(rate(cs_contacts_total[5m]))"
HANDLE_TIME = "avg(cs_handle_time_seconds)"
CHANNEL_ERRORS = "sum by (channel) (rate(cs_channel_errors_total[5m]))"
COMPLAINTS = "sum by (topic) (rate(cs_complaints_total[10m]))"
COMPLAINTS_LAST_WEEK = "sum by (topic) (rate(cs_complaints_total[1h] offset 1w))"
CHANNELS = ("web-chat", "hotline", "app", "email")
TOPIC = "快递延误"  # late deliveries: the complaint surge's topic
QUIET_TOPIC = "账单"  # billing: complaints at their usual rate


@dataclass(frozen=True)
class Shape:
    """A level over the minutes of a scenario: straight lines between the points, flat
    before the first and after the last."""

    points: tuple[tuple[float, float], ...]

    def at(self, minute: float) -> float:
        first, last = self.points[0], self.points[-1]
        if minute <= first[0]:
            return first[1]
        for (m0, v0), (m1, v1) in zip(self.points, self.points[1:], strict=False):
            if minute <= m1:
                return v0 + (v1 - v0) * (minute - m0) / (m1 - m0) if m1 > m0 else v1
        return last[1]

    def shifted(self, minutes: float) -> Shape:
        return Shape(tuple((m + minutes, v) for m, v in self.points))


def flat(value: float) -> Shape:
    return Shape(((0.0, value),))


@dataclass(frozen=True)
class Series:
    signal: str
    labels: Mapping[str, str]
    shape: Shape


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    playbook: str  # the shipped playbook it sets off
    story: tuple[tuple[float, str], ...]  # (minute, what happens in the world), for the log
    series: tuple[Series, ...]
    minutes: float  # by when it is over, resolve included
    lead_resolves: bool = False  # the shift lead resolves it once its trigger mitigated it


def _quiet() -> tuple[Series, ...]:
    """Every signal at its everyday level: what each scenario's own series change."""
    return (
        Series(WAITING, {}, flat(18)),
        Series(CONTACT_RATE, {}, flat(0.01)),
        Series(HANDLE_TIME, {}, flat(240)),
        *(Series(CHANNEL_ERRORS, {"channel": name}, flat(0.1)) for name in CHANNELS),
        Series(COMPLAINTS, {"topic": TOPIC}, flat(0.008)),
        Series(COMPLAINTS, {"topic": QUIET_TOPIC}, flat(0.02)),
        Series(COMPLAINTS_LAST_WEEK, {"topic": TOPIC}, flat(0.01)),
        Series(COMPLAINTS_LAST_WEEK, {"topic": QUIET_TOPIC}, flat(0.02)),
    )


PROMOTION = Scenario(
    "promotion",
    "a promotion peak",
    "traffic-peak",
    (
        (1, "the 11.11 sale starts: contacts climb"),
        (4, "320 customers waiting (everyday: under 20)"),
        (12, "the sale's first rush is over: the queue shrinks"),
    ),
    (
        Series(WAITING, {}, Shape(((1, 18), (4, 320), (12, 320), (15, 25)))),
        Series(CONTACT_RATE, {}, Shape(((1, 0.01), (4, 0.05), (12, 0.05), (15, 0.012)))),
        Series(HANDLE_TIME, {}, Shape(((1, 240), (4, 300), (12, 300), (15, 240)))),
    ),
    minutes=34,
)
OUTAGE = Scenario(
    "outage",
    "a channel outage",
    "system-outage",
    (
        (1, "web chat's message service fails: errors jump to 12 a second"),
        (10, "the engineers fix web chat: errors back to normal"),
    ),
    (
        Series(
            CHANNEL_ERRORS,
            {"channel": "web-chat"},
            Shape(((1, 0.1), (1.5, 12), (10, 12), (10.5, 0.1))),
        ),
    ),
    minutes=26,
    lead_resolves=True,
)
COMPLAINTS_SURGE = Scenario(
    "complaints",
    "a complaint surge",
    "complaint-surge",
    (
        (1, f"a courier's strike: complaints about {TOPIC} climb to 12 a minute"),
        (12, f"deliveries resume: complaints about {TOPIC} fall back"),
    ),
    (Series(COMPLAINTS, {"topic": TOPIC}, Shape(((1, 0.008), (2, 0.2), (12, 0.2), (13, 0.008)))),),
    minutes=33,
    lead_resolves=True,
)
SCENARIOS = {scenario.name: scenario for scenario in (PROMOTION, OUTAGE, COMPLAINTS_SURGE)}
STAGGER = {"promotion": 0.0, "outage": 2.0, "complaints": 4.0}  # minutes, in `all`


@dataclass
class World:
    """The signals' samples at a minute of the run, for the scenarios it plays."""

    scenarios: tuple[tuple[Scenario, float], ...]  # each with the minute it starts
    seed: int
    noise: float = 0.03  # each sample is off by up to this share, the same for a seed
    series: dict[tuple[str, Labels], Shape] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for item in _quiet():
            self.series[(squash(item.signal), labels(item.labels))] = item.shape
        for scenario, start in self.scenarios:
            for item in scenario.series:
                key = (squash(item.signal), labels(item.labels))
                self.series[key] = item.shape.shifted(start)

    @property
    def signals(self) -> set[str]:
        return {signal for signal, _ in self.series}

    @property
    def minutes(self) -> float:
        return max(start + scenario.minutes for scenario, start in self.scenarios)

    def samples(self, signal: str, minute: float) -> Vector:
        found: Vector = {}
        for (name, key), shape in self.series.items():
            if name == signal:
                found[key] = shape.at(minute) * (1 + self.noise * self._jitter(name, key, minute))
        return found

    def story(self) -> list[tuple[float, str, str]]:
        """(minute, scenario, what happens), in time order."""
        told = [
            (start + minute, scenario.name, text)
            for scenario, start in self.scenarios
            for minute, text in scenario.story
        ]
        return sorted(told)

    def _jitter(self, signal: str, key: Labels, minute: float) -> float:
        bucket = int(minute * 4)  # a new draw every 15 seconds
        return random.Random(f"{self.seed}|{signal}|{key}|{bucket}").uniform(-1, 1)


def world_for(name: str, seed: int) -> World:
    if name == "all":
        return World(tuple((s, STAGGER[s.name]) for s in SCENARIOS.values()), seed)
    return World(((SCENARIOS[name], 0.0),), seed)
