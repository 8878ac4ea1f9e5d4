"""Erlang C (M/M/N) and Erlang A (M/M/N+M, callers who abandon) for staffing.

Erlang C comes from the Erlang B recursion ``B(n) = A·B(n-1) / (n + A·B(n-1))``, which
never forms ``A**N`` or ``N!`` and so stays exact for hundreds of agents; then
``C = N·B / (N - A·(1 - B))``, the service level ``1 - C·exp(-(N - A)·T / AHT)`` and the
average speed of answer ``C·AHT / (N - A)``.

Erlang A has no such closed form that the standard library can evaluate, so it is
computed from its birth-death chain: the stationary distribution (in logarithms, and
cut where the rest is below 1e-15) gives the chance of waiting, the share who abandon and
the mean wait; the share answered within T follows a caller who finds k waiting ahead,
a pure-death chain (people ahead are served or give up; the caller may give up too),
solved by uniformisation. Both are checked against a discrete-event simulation in
tests/staffing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TAIL = 1e-15  # probability mass of the chain left out of Erlang A's sums


@dataclass(frozen=True)
class Level:
    """How ``agents`` agents serve the traffic. ``asa`` is the mean wait of every
    caller (answered or not, for Erlang A) in seconds; None when the queue grows forever."""

    agents: int
    occupancy: float  # the share of agents' time spent on calls
    wait_probability: float  # a caller has to wait at all
    service_level: float  # the share of callers answered within the target time
    asa: float | None
    abandoned: float = 0.0  # Erlang A: the share who hang up before an answer


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of ``agents`` servers offered ``traffic`` erlangs."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """The probability that a caller waits; 1 when the agents cannot keep up."""
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1 - blocking))


def level_c(rate: float, aht: float, agents: int, target: float) -> Level:
    """Erlang C: ``rate`` calls a second, handled in ``aht`` seconds on average."""
    traffic = rate * aht
    if agents <= traffic:
        return Level(agents, 1.0, 1.0, 0.0, None)
    waits = erlang_c(traffic, agents)
    service = 1 - waits * math.exp(-(agents - traffic) * target / aht)
    return Level(agents, traffic / agents, waits, service, waits * aht / (agents - traffic))


def level_a(rate: float, aht: float, agents: int, target: float, patience: float) -> Level:
    """Erlang A: as ``level_c``, with callers who wait ``patience`` seconds on average
    (exponentially distributed) before they hang up."""
    mu, theta = 1 / aht, 1 / patience
    logs = _stationary_logs(rate, mu, theta, agents)
    top = max(logs)
    weights = [math.exp(value - top) for value in logs]
    total = sum(weights)
    p = [weight / total for weight in weights]
    waits = sum(p[agents:])
    queue = sum((n - agents) * p[n] for n in range(agents, len(p)))
    abandoned = theta * queue / rate
    answered_in_time = sum(p[:agents]) + sum(
        p[agents + k] * chance
        for k, chance in enumerate(_served_within(agents, mu, theta, target, len(p) - agents))
    )
    busy = sum(min(n, agents) * p[n] for n in range(len(p))) / agents
    return Level(agents, busy, waits, answered_in_time, queue / rate, abandoned)


def _stationary_logs(rate: float, mu: float, theta: float, agents: int) -> list[float]:
    """log of the unnormalised stationary probabilities of 0, 1, 2, … callers, up to
    where the tail no longer matters."""
    logs = [0.0]
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        logs.append(logs[-1] + math.log(rate / death))
        if n > agents and rate / death < 1 and logs[-1] - max(logs) < math.log(TAIL):
            return logs


def _served_within(agents: int, mu: float, theta: float, target: float, ahead: int) -> list[float]:
    """For a caller who finds ``k`` callers waiting (k < ``ahead``), the chance to be
    answered within ``target`` seconds. With j callers ahead the next one leaves the
    queue at rate N·μ + j·θ, and the caller gives up at rate θ."""
    if target <= 0:
        return [0.0] * ahead
    fastest = agents * mu + ahead * theta + theta
    mean = fastest * target
    steps = int(mean + 10 * math.sqrt(mean) + 20)
    move = [(agents * mu + j * theta) / fastest for j in range(ahead)]
    stay = [1 - move[j] - theta / fastest for j in range(ahead)]
    done = [0.0] * ahead  # P(answered within m jumps | j ahead)
    weight = math.exp(-mean)  # Poisson(m; mean), from m = 0
    result = [0.0] * ahead
    for m in range(steps + 1):
        if m:
            done = [move[j] * (done[j - 1] if j else 1.0) + stay[j] * done[j] for j in range(ahead)]
            weight *= mean / m
        result = [result[j] + weight * done[j] for j in range(ahead)]
    return result


def needed(
    rate: float,
    aht: float,
    target_level: float,
    target: float,
    patience: float | None = None,
    limit: int = 100_000,
) -> int:
    """The fewest agents whose service level reaches ``target_level`` (below 1)."""
    if not 0 < target_level < 1:
        raise ValueError("the target service level must be above 0% and below 100%")
    agents = max(1, math.floor(rate * aht) + 1)
    while level_c(rate, aht, agents, target).service_level < target_level:
        agents += 1
        if agents > limit:
            raise ValueError(f"more than {limit} agents would be needed")
    if patience is None:
        return agents
    # callers who give up shorten the queue, so Erlang A needs at most Erlang C's answer;
    # the service level grows with the agents, so halve the range
    low, high = 1, agents
    while low < high:
        middle = (low + high) // 2
        if level_a(rate, aht, middle, target, patience).service_level >= target_level:
            high = middle
        else:
            low = middle + 1
    return low


def scheduled(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` are on the phones when ``shrinkage`` (the
    share lost to breaks, training, absence) is taken off."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be from 0 up to (not including) 1")
    return math.ceil(agents / (1 - shrinkage) - 1e-9)
