"""Erlang C against a published worked example and, with Erlang A, against a simulation."""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

import pytest

from surge.staffing.erlang import erlang_b, erlang_c, level_a, level_c, needed, scheduled
from surge.staffing.plan import Demand, parse_rate, parse_target, plan


def test_the_call_centre_helper_worked_example() -> None:
    """Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
    (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in
    30 minutes, 180 s handle time, 80% to be answered within 20 s. It works through
    A = 10 erlangs; with 11 agents the chance to wait is 0.6821 and the service level
    39%; it steps up one agent at a time to 14 agents, 88.8%, ASA 7.8 s, occupancy
    71.4%; with 30% shrinkage, 20 agents. (The CRAN package ErlangC reproduces these
    figures to 7 places in its README: 0.6821182, 0.3896138, 0.1741319, 0.88835.)"""
    rate = parse_rate("100/30m")
    eleven = level_c(rate, 180, 11, 20)
    assert eleven.wait_probability == pytest.approx(0.6821182, abs=5e-7)
    assert eleven.service_level == pytest.approx(0.3896138, abs=5e-7)
    fourteen = level_c(rate, 180, 14, 20)
    assert fourteen.wait_probability == pytest.approx(0.1741319, abs=5e-7)
    assert fourteen.service_level == pytest.approx(0.88835, abs=5e-6)
    assert fourteen.asa == pytest.approx(7.835937, abs=5e-6)
    assert fourteen.occupancy == pytest.approx(0.7142857, abs=5e-7)
    assert needed(rate, 180, 0.8, 20) == 14
    assert scheduled(14, 0.3) == 20


def test_erlang_b_matches_the_direct_formula_and_stays_exact_for_large_centres() -> None:
    traffic, agents = 8.0, 10
    terms = [traffic**k / math.factorial(k) for k in range(agents + 1)]
    assert erlang_b(traffic, agents) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)
    # A**N and N! overflow a float here; the recursion does not
    assert 0 < erlang_c(950.0, 1000) < 1
    assert erlang_c(10.0, 10) == 1.0 and level_c(1, 10, 9, 20).asa is None


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    c = level_c(600 / 3600, 240, 45, 30)
    a = level_a(600 / 3600, 240, 45, 30, patience=1e9)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert a.wait_probability == pytest.approx(c.wait_probability, abs=1e-6)
    assert a.asa == pytest.approx(c.asa, rel=1e-5)


@dataclass
class Simulated:
    service_level: float
    asa: float
    waited: float
    abandoned: float


def simulate(
    rate: float, aht: float, agents: int, target: float, patience: float | None, seed: int
) -> Simulated:
    """A discrete-event M/M/N (+M) queue, first come first served: each caller takes the
    agent that frees first, unless their patience runs out before then. 200,000
    callers after a warm-up of 10,000; seeded, so the same every run."""
    rng = random.Random(seed)
    free = [0.0] * agents  # when each agent is next free
    now, warmup, callers = 0.0, 10_000, 200_000
    answered_in_time = waited = abandoned = 0
    total_wait = 0.0
    for n in range(warmup + callers):
        now += rng.expovariate(rate)
        start = max(now, free[0])
        wait = start - now
        limit = rng.expovariate(1 / patience) if patience is not None else math.inf
        if wait <= limit:
            heapq.heapreplace(free, start + rng.expovariate(1 / aht))
        if n < warmup:
            continue
        abandoned += wait > limit
        answered_in_time += wait <= min(limit, target)
        total_wait += min(wait, limit)  # a caller who gives up waited until then
        waited += wait > 0
    return Simulated(
        answered_in_time / callers, total_wait / callers, waited / callers, abandoned / callers
    )


@pytest.mark.parametrize(
    ("rate", "aht", "agents", "target", "seed"),
    [(100 / 1800, 180, 14, 20, 1), (600 / 3600, 240, 45, 30, 2), (20 / 60, 120, 44, 15, 3)],
)
def test_erlang_c_agrees_with_a_simulation(rate, aht, agents, target, seed) -> None:
    computed = level_c(rate, aht, agents, target)
    seen = simulate(rate, aht, agents, target, None, seed)
    assert seen.service_level == pytest.approx(computed.service_level, abs=0.02)
    assert seen.waited == pytest.approx(computed.wait_probability, abs=0.02)
    assert computed.asa is not None
    assert seen.asa == pytest.approx(computed.asa, abs=max(1.0, 0.15 * computed.asa))


def test_erlang_a_agrees_with_a_simulation() -> None:
    rate, aht, agents, target, patience = 600 / 3600, 240, 37, 30, 60
    computed = level_a(rate, aht, agents, target, patience)
    seen = simulate(rate, aht, agents, target, patience, seed=4)
    assert seen.service_level == pytest.approx(computed.service_level, abs=0.02)
    assert seen.abandoned == pytest.approx(computed.abandoned, abs=0.02)
    assert seen.waited == pytest.approx(computed.wait_probability, abs=0.02)
    assert seen.asa == pytest.approx(computed.asa or 0.0, abs=1.0)


def test_the_plan_shows_the_levels_around_the_answer() -> None:
    level, seconds = parse_target("80/30s")
    result = plan(Demand(parse_rate("600/h"), 240, level, seconds, shrinkage=0.3))
    assert result.needed == 45 and result.scheduled == 65
    assert [item.agents for item in result.levels] == list(range(42, 49))
    assert result.levels[2].service_level < 0.8 <= result.levels[3].service_level
    assert result.as_json()["traffic_erlangs"] == 40.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [("600", "is not a rate"), ("600/x", "is not a rate"), ("5/0s", "more than 0")],
)
def test_bad_rates_say_what_to_write(text, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_rate(text)


def test_bad_targets_say_what_to_write() -> None:
    with pytest.raises(ValueError, match="PERCENT/DURATION"):
        parse_target("80%")
    with pytest.raises(ValueError, match="above 0 and below 100"):
        parse_target("100/20s")
