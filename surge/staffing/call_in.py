"""``staff.call_in``: call in the standby people a traffic peak needs.

The first call reads the live contact rate and handle time through PromQL, works out by
Erlang C (or A) how many agents the target needs, and asks that many more than are on
shift from the standby pool, least recently called first. It then defers; an answer on a
page's accept/decline link wakes it. Whoever declines, cannot be reached, or does not
answer within ``answer_within`` is replaced by the next person of the pool, until enough
have accepted or the pool is used up. All of it is in the store (the call-in is an
escalation row with purpose ``call-in``; every page a row), so a restart repeats nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, Defer
from surge.durations import format_duration, parse_duration
from surge.paging.escalation import start
from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.paging.service import Paging
from surge.rota.model import Level, Policy, Target
from surge.rota.oncall import standby_available, who
from surge.staffing.plan import Demand, parse_target, plan
from surge.triggers.prometheus import PrometheusUnavailable, query_source

FIXED = (0, 0)  # a call-in has one round and one level; its people grow as it goes


async def call_in(ctx: ActionContext, paging: Paging, team: str, script: str) -> ActionResult:
    policy = Policy(f"call-in:{team}", (Level((Target("standby", team),), 0),))
    existing = [
        item
        for item in await paging.store.escalations(ctx.incident.id)
        if item.key == ctx.idempotency_key
    ]
    ready = existing and "facts" in existing[0].data  # else it stopped before it was measured
    escalation = existing[0] if ready else await _begin(ctx, paging, policy, team)
    if escalation.ended_at is not None:
        return dict(escalation.data["result"])
    return await _progress(ctx, paging, escalation, team, script)


async def _begin(ctx: ActionContext, paging: Paging, policy: Policy, team: str) -> Escalation:
    """Measure, compute the shortfall, and store the call-in with whom it asks first."""
    rate, aht = await _measure(ctx)
    level, seconds = parse_target(str(ctx.args.get("target") or "80/30s"))
    patience = parse_duration(ctx.args["patience"]) if ctx.args.get("patience") else None
    demand = Demand(rate, aht, level, seconds, float(ctx.args.get("shrinkage") or 0), patience)
    try:
        result = plan(demand)
    except ValueError as error:
        raise ActionError(f"staffing: {error}", retryable=False) from None
    assert paging.rota is not None
    on_shift = len({entry.person for entry in who(paging.rota, ctx.now, team)})
    wanted = max(0, min(result.scheduled - on_shift, int(ctx.args.get("max") or 20)))
    facts = {
        "traffic_erlangs": round(demand.traffic, 3),
        "needed": result.needed,
        "scheduled": result.scheduled,
        "on_shift": on_shift,
        "shortfall": wanted,
    }
    fresh = await start(ctx, paging, policy, "call-in")
    first = await _next_people(paging, ctx.now, team, wanted, [])
    asked = {person: ctx.now.isoformat() for person in first}
    summary = (
        f"staffing: {rate * 3600:.0f} contacts/h at {aht:.0f}s is {demand.traffic:.1f} erlangs; "
        f"{result.needed} agents meet {level:.0%} within {seconds:g}s"
        + (f" ({result.scheduled} with shrinkage)" if result.scheduled != result.needed else "")
        + f"; {on_shift} on shift, so calling in {wanted}"
    )
    data = {"facts": facts, "asked": asked, "replaced": []}
    if not wanted:
        data["result"] = {**facts, "accepted": [], "declined": [], "no_answer": [], "short_by": 0}
    updated = replace(
        fresh, people=first, wanted=wanted, data=data, ended_at=None if wanted else ctx.now
    )
    entry = paging.entry(ctx.incident.id, "callin.start", summary, **facts)
    if not await paging.store.update_escalation(updated, FIXED, [entry]):
        stored = await paging.store.escalation(fresh.id)
        assert stored is not None
        return stored
    return updated


async def _measure(ctx: ActionContext) -> tuple[float, float]:
    client = query_source(ctx.services, ctx.config.prometheus, ctx.http)
    if client is None:
        raise ActionError(
            "staff.call_in reads Prometheus: set `prometheus: {url: …}`", retryable=False
        )
    values = []
    for name in ("rate_query", "aht_query"):
        query = str(ctx.args[name])
        try:
            samples = await client.query(query, ctx.now)
        except PrometheusUnavailable as error:
            raise ActionError(f"Prometheus could not answer {name} {query!r}: {error}") from None
        if not samples:
            raise ActionError(f"{name} {query!r} returned no data", retryable=True)
        values.append(sum(sample.value for sample in samples))
    return values[0], values[1]


async def _next_people(
    paging: Paging, now: datetime, team: str, count: int, asked: list[str]
) -> list[str]:
    assert paging.rota is not None
    free = [person for person in standby_available(paging.rota, now, team) if person not in asked]
    chosen = (await paging.fair_order(free))[:count]
    await paging.store.called(chosen, now)
    return chosen


async def _progress(
    ctx: ActionContext, paging: Paging, escalation: Escalation, team: str, script: str
) -> ActionResult:
    window = parse_duration(ctx.args.get("answer_within") or 600)
    variables = {
        "title": ctx.incident.title,
        "incident": ctx.incident.id,
        "needed": escalation.wanted,
    }
    while True:
        for person in escalation.people:
            await paging.deliver(escalation, ctx.incident, person, script, variables)
        pages = [
            p for p in await paging.store.pages(ctx.incident.id) if p.escalation_id == escalation.id
        ]
        state = _states(escalation, pages, ctx.now, window)
        await _time_out(paging, pages, state, ctx.now, window)
        accepted = [person for person, found in state.items() if found == "accepted"]
        waiting = [person for person, found in state.items() if found == "waiting"]
        missing = escalation.wanted - len(accepted) - len(waiting)
        lost = [
            person for person, found in state.items()
            if found not in ("accepted", "waiting") and person not in escalation.data["replaced"]
        ]  # fmt: skip
        if missing <= 0 or not lost:
            break
        newcomers = await _next_people(paging, ctx.now, team, missing, list(state))
        escalation = await _replace(ctx, paging, escalation, lost, newcomers, state)
    if len(accepted) >= escalation.wanted or not waiting:
        return await _finish(ctx, paging, escalation, state)
    asked = escalation.data["asked"]
    due = min(datetime.fromisoformat(asked[person]) for person in waiting)
    return Defer(
        until=due + timedelta(seconds=window),
        state={"call_in": escalation.id},
        message=f"{ctx.step_id}: waiting for answers from the standby pool",
    )


def _states(
    escalation: Escalation, pages: list[PageRecord], now: datetime, window: float
) -> dict[str, str]:
    """accepted, declined, unreachable, no_answer or waiting, for each person asked."""
    states = {}
    for person in escalation.people:
        mine = [page for page in pages if page.person == person]
        answers = {page.answer for page in mine}
        asked = datetime.fromisoformat(escalation.data["asked"][person])
        if Answer.ACCEPT.value in answers:
            states[person] = "accepted"
        elif Answer.DECLINE.value in answers:
            states[person] = "declined"
        elif Answer.TIMEOUT.value in answers or now >= asked + timedelta(seconds=window):
            states[person] = "no_answer"
        elif not any(page.status is PageStatus.SENT for page in mine):
            states[person] = "unreachable"
        else:
            states[person] = "waiting"
    return states


async def _time_out(
    paging: Paging, pages: list[PageRecord], state: dict[str, str], now: datetime, window: float
) -> None:
    """Close the pages of people who did not answer in time, so their links say so."""
    for page in pages:
        if (
            state.get(page.person) == "no_answer"
            and page.status is PageStatus.SENT
            and not page.answer
        ):
            entry = paging.entry(
                page.incident_id, "callin.timeout",
                f"{paging.person(page.person).name} did not answer within "
                f"{format_duration(window)}",
                person=page.person,
            )  # fmt: skip
            await paging.store.answer_page(page.id, Answer.TIMEOUT, "timeout", now, [entry])


async def _replace(
    ctx: ActionContext,
    paging: Paging,
    escalation: Escalation,
    lost: list[str],
    newcomers: list[str],
    state: dict[str, str],
) -> Escalation:
    data: dict[str, Any] = {**escalation.data, "replaced": [*escalation.data["replaced"], *lost]}
    data["asked"] = {**data["asked"], **{person: ctx.now.isoformat() for person in newcomers}}
    names = (
        ", ".join(paging.person(person).name for person in newcomers)
        or "nobody (the pool is used up)"
    )
    gone = ", ".join(f"{paging.person(person).name} ({state[person]})" for person in lost)
    entry = paging.entry(ctx.incident.id, "callin.replaced", f"replacing {gone}: asking {names}")
    updated = replace(escalation, people=[*escalation.people, *newcomers], data=data)
    await paging.store.update_escalation(updated, FIXED, [entry])
    return updated


async def _finish(
    ctx: ActionContext, paging: Paging, escalation: Escalation, state: dict[str, str]
) -> ActionResult:
    def named(kind: str) -> list[str]:
        return [person for person, found in state.items() if found == kind]

    accepted = named("accepted")
    short = max(0, escalation.wanted - len(accepted))
    result = {
        **escalation.data["facts"],
        "accepted": accepted,
        "declined": named("declined"),
        "no_answer": named("no_answer") + named("unreachable"),
        "short_by": short,
    }
    names = ", ".join(paging.person(person).name for person in accepted) or "nobody"
    message = f"call-in done: {names} accepted" + (f"; still {short} short" if short else "")
    ended = replace(
        escalation,
        ended_at=ctx.now,
        outcome="short" if short else "filled",
        data={**escalation.data, "result": result},
    )
    entry = paging.entry(ctx.incident.id, "callin.done", message, **result)
    await paging.store.update_escalation(ended, FIXED, [entry])
    return result
