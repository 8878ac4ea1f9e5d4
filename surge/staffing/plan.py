"""A staffing plan: the agents a contact rate needs, and the levels around the answer,
as ``surge staffing`` prints them and ``staff.call_in`` uses them."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from surge.durations import DurationError, parse_duration
from surge.staffing.erlang import Level, level_a, level_c, needed, scheduled

_RATE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*([0-9]*\.?[0-9]*\s*(?:ms|s|m|h|d))\s*$")
_TARGET = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*/\s*(\S+)\s*$")
AROUND = 3  # levels shown on each side of the answer


@dataclass(frozen=True)
class Demand:
    rate: float  # contacts a second
    aht: float  # seconds
    target_level: float  # 0.8 for 80%
    target: float  # seconds
    shrinkage: float = 0.0
    patience: float | None = None  # seconds; None: Erlang C, nobody hangs up

    @property
    def traffic(self) -> float:
        return self.rate * self.aht


@dataclass(frozen=True)
class Plan:
    demand: Demand
    needed: int  # on the phones
    scheduled: int  # with shrinkage
    levels: list[Level]

    def as_json(self) -> dict[str, Any]:
        demand = self.demand
        return {
            "model": "erlang-a" if demand.patience is not None else "erlang-c",
            "rate_per_hour": round(demand.rate * 3600, 6),
            "aht_s": demand.aht,
            "traffic_erlangs": round(demand.traffic, 6),
            "target": {"service_level": demand.target_level, "seconds": demand.target},
            "patience_s": demand.patience,
            "shrinkage": demand.shrinkage,
            "needed": self.needed,
            "scheduled": self.scheduled,
            "levels": [asdict(level) for level in self.levels],
        }


def plan(demand: Demand) -> Plan:
    if demand.rate <= 0 or demand.aht <= 0:
        raise ValueError("the contact rate and the handle time must be more than 0")
    if demand.patience is not None and demand.patience <= 0:
        raise ValueError("patience must be more than 0 seconds")
    answer = needed(demand.rate, demand.aht, demand.target_level, demand.target, demand.patience)
    first = max(1, answer - AROUND)
    levels = [_level(demand, agents) for agents in range(first, answer + AROUND + 1)]
    return Plan(demand, answer, scheduled(answer, demand.shrinkage), levels)


def _level(demand: Demand, agents: int) -> Level:
    if demand.patience is None:
        return level_c(demand.rate, demand.aht, agents, demand.target)
    return level_a(demand.rate, demand.aht, agents, demand.target, demand.patience)


def parse_rate(text: str) -> float:
    """``600/h``, ``10/m``, ``0.5/s`` or ``100/30m`` → contacts a second."""
    found = _RATE.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a rate: write COUNT/PERIOD, e.g. 600/h or 100/30m")
    period = found.group(2).strip()
    seconds = parse_duration(period if period[0].isdigit() else f"1{period}")
    if seconds <= 0:
        raise ValueError(f"{text!r}: the period must be more than 0")
    return float(found.group(1)) / seconds


def parse_target(text: str) -> tuple[float, float]:
    """``80/30s`` (80% answered within 30 seconds) → ``(0.8, 30.0)``."""
    found = _TARGET.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a target: write PERCENT/DURATION, e.g. 80/30s")
    percent = float(found.group(1))
    if not 0 < percent < 100:
        raise ValueError(f"{text!r}: the percentage must be above 0 and below 100")
    try:
        return percent / 100, parse_duration(found.group(2))
    except DurationError as error:
        raise ValueError(f"{text!r}: {error}") from None
