"""Running an escalation policy as a durable, deferring action (the ``page`` step).

The escalation is a row in the store keyed by the step's idempotency key, holding the
current round and level, whom that level pages, and when it ends. Each call of the
action moves it on from what is stored: it pages the current level's people (each page
recorded before and after it is sent, so nothing is sent twice), then defers until the
level's end, woken early when the incident's status changes. An acknowledgement, from
any path, ends it; an escalation asked for (``Engine.escalate``) starts the next level now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, Defer
from surge.durations import format_duration
from surge.paging.records import Escalation
from surge.paging.service import Paging
from surge.rota.model import Level, Policy, Rota
from surge.rota.oncall import standby_available, who
from surge.store.records import IncidentStatus, TimelineEntry


async def escalate(ctx: ActionContext, paging: Paging, policy: Policy, script: str) -> ActionResult:
    escalation = await start(ctx, paging, policy, "escalation")
    if escalation.outcome == "exhausted":  # re-run after the policy ran out
        return {"acknowledged": False, "policy": policy.id, "rounds": policy.repeat + 1}
    if _acknowledged(ctx) or escalation.ended_at is not None:
        return await _stop(ctx, paging, escalation)
    # first finish the current level (a re-run after a crash completes what was cut off)
    await _page_level(ctx, paging, policy, escalation, script)
    escalated_by = _escalated_by(ctx)
    if escalated_by:
        await paging.engine.note(
            ctx.incident.id, "paging", "page.escalated",
            f"policy {policy.id}: escalated by {escalated_by}: on to the next level now",
        )  # fmt: skip
    if ctx.now >= escalation.due_at or escalated_by:
        moved = await _advance(ctx, paging, policy, escalation)
        if moved is None:
            return await _exhausted(ctx, paging, policy, escalation)
        escalation = moved
        await _page_level(ctx, paging, policy, escalation, script)
    # an acknowledgement while the pages went out makes this wait due at once (the store's
    # defer_run sees the status changed since the attempt began): the next call stops
    return Defer(
        until=escalation.due_at,
        state={"escalation": escalation.id},
        wake_on_status=True,
        message=f"{ctx.step_id}: paging by policy {policy.id}, waiting for an acknowledgement",
    )


async def _page_level(
    ctx: ActionContext, paging: Paging, policy: Policy, escalation: Escalation, script: str
) -> None:
    variables = {
        "title": ctx.incident.title,
        "incident": ctx.incident.id,
        "severity": ctx.incident.severity,
        "policy": policy.id,
        "level": escalation.level + 1,
    }
    for person in escalation.people:
        await paging.deliver(escalation, ctx.incident, person, script, variables)


async def start(ctx: ActionContext, paging: Paging, policy: Policy, purpose: str) -> Escalation:
    """The step's escalation: the stored one, or a new one at round 0, level 0."""
    store = paging.store
    run_id = next(
        (
            run.id
            for run in await store.runs(ctx.incident.id)
            if run.idempotency_key == ctx.idempotency_key
        ),
        0,
    )
    fresh = Escalation(
        0, ctx.incident.id, ctx.idempotency_key, purpose, policy.id, run_id, ctx.now, ctx.now
    )
    if purpose == "escalation":
        fresh = await _level(paging, policy, fresh, 0, 0, ctx.now)
    entry = paging.entry(
        ctx.incident.id, "page.level", _describe(paging, policy, fresh), policy=policy.id
    )
    stored: Escalation = await store.start_escalation(
        fresh, [entry] if purpose == "escalation" else []
    )
    return stored


async def _advance(
    ctx: ActionContext, paging: Paging, policy: Policy, escalation: Escalation
) -> Escalation | None:
    """The next level (or the next round's first) with people to page; None when the
    policy is exhausted. Levels that would page nobody are passed over, with a note."""
    current = escalation
    while True:
        level, round_ = current.level + 1, current.round
        if level >= len(policy.levels):
            level, round_ = 0, round_ + 1
        if round_ > policy.repeat:
            return None
        current = await _level(paging, policy, current, round_, level, ctx.now)
        if current.people:
            break
        await paging.engine.note(
            ctx.incident.id, "paging", "page.level",
            f"policy {policy.id}: level {level + 1} has nobody to page now; going on",
        )  # fmt: skip
    entry = paging.entry(
        ctx.incident.id, "page.level", _describe(paging, policy, current), policy=policy.id
    )
    if await paging.store.update_escalation(current, (escalation.round, escalation.level), [entry]):
        return current
    stored: Escalation | None = await paging.store.escalation(escalation.id)
    if stored is None or stored.ended_at is not None:
        raise ActionError("the escalation was ended elsewhere", retryable=False)
    return stored  # another attempt moved it already: carry on from there


async def _level(
    paging: Paging, policy: Policy, escalation: Escalation, round_: int, level: int, now: datetime
) -> Escalation:
    spec = policy.levels[level]
    people = await targets(paging, spec, now)
    due = now + timedelta(seconds=spec.wait)
    return replace(escalation, round=round_, level=level, people=people, due_at=due)


async def targets(paging: Paging, level: Level, now: datetime) -> list[str]:
    """Whom ``level`` pages at ``now``, each once, in the order its targets name them."""
    rota = paging.rota
    assert rota is not None
    found: list[str] = []
    for target in level.targets:
        if target.kind == "on_shift":
            found.extend(entry.person for entry in who(rota, now, target.value))
        elif target.kind == "lead":
            found.extend(rota.leads(target.value))
        elif target.kind == "person":
            found.append(target.value)
        else:
            chosen = await paging.fair_order(standby_available(rota, now))
            chosen = chosen[: target.count] if target.count else chosen
            await paging.store.called(chosen, now)
            found.extend(chosen)
    return list(dict.fromkeys(found))


def _describe(paging: Paging, policy: Policy, escalation: Escalation) -> str:
    names = ", ".join(paging.person(person).name for person in escalation.people) or "nobody"
    wait = format_duration(policy.levels[escalation.level].wait)
    return (
        f"policy {policy.id}: round {escalation.round + 1} of {policy.repeat + 1}, "
        f"level {escalation.level + 1} of {len(policy.levels)}: paging {names}; "
        f"the next level in {wait} without an acknowledgement"
    )


def _escalated_by(ctx: ActionContext) -> str:
    """Who asked to escalate now (``Engine.escalate``: a page's Escalate button), if so."""
    signal = (ctx.resume or {}).get("signal") or {}
    return str(signal.get("escalate") or "") if isinstance(signal, dict) else ""


def _acknowledged(ctx: ActionContext) -> bool:
    return ctx.incident.status.rank >= IncidentStatus.ACKNOWLEDGED.rank


async def _stop(ctx: ActionContext, paging: Paging, escalation: Escalation) -> ActionResult:
    by = escalation.acked_by and paging.person(escalation.acked_by).name
    by = by or await _acknowledged_by(paging, ctx.incident.id) or "someone"
    waited = (ctx.now - escalation.started_at).total_seconds()
    result = {
        "acknowledged": True,
        "by": by,
        "policy": escalation.policy,
        "round": escalation.round + 1,
        "level": escalation.level + 1,
        "time_to_ack_s": round(waited, 3),
    }
    if escalation.ended_at is None:
        ended = replace(escalation, ended_at=ctx.now, outcome="acknowledged")
        entry = paging.entry(
            ctx.incident.id, "page.stopped",
            f"escalation {escalation.policy} stopped: acknowledged by {by}, "
            f"{format_duration(waited)} after it began",
            **result,
        )  # fmt: skip
        await _ended(paging, ended, escalation, entry)
    return result


async def _acknowledged_by(paging: Paging, incident_id: int) -> str:
    for entry in reversed(await paging.store.timeline(incident_id)):
        if entry.kind == "status" and entry.data.get("status") == "acknowledged":
            return str(entry.actor)
    return ""


async def _exhausted(
    ctx: ActionContext, paging: Paging, policy: Policy, escalation: Escalation
) -> ActionResult:
    ended = replace(escalation, ended_at=ctx.now, outcome="exhausted")
    rounds = policy.repeat + 1
    entry = paging.entry(
        ctx.incident.id, "page.exhausted",
        f"escalation {policy.id}: nobody acknowledged after {rounds} round(s) of "
        f"{len(policy.levels)} level(s)",
        policy=policy.id,
    )  # fmt: skip
    await _ended(paging, ended, escalation, entry)
    result: dict[str, Any] = {"acknowledged": False, "policy": policy.id, "rounds": rounds}
    return result


def policy_of(rota: Rota | None, name: str) -> Policy:
    if rota is None:
        raise ActionError(
            "paging needs a rota: set `rota: config/rota.yaml` in the config", retryable=False
        )
    policy = rota.policies.get(name)
    if policy is None:
        known = ", ".join(sorted(rota.policies)) or "none"
        raise ActionError(
            f"no escalation policy {name!r} in {rota.source} (known: {known})", retryable=False
        )
    return policy


async def _ended(
    paging: Paging, ended: Escalation, current: Escalation, entry: TimelineEntry
) -> None:
    """Record the end once (a re-run finds it ended) and count it in
    ``surge_escalations_total``, which the shipped alert rules watch for exhausted."""
    if await paging.store.update_escalation(ended, (current.round, current.level), [entry]):
        paging.engine.metrics.escalations.labels(policy=ended.policy, outcome=ended.outcome).inc()
