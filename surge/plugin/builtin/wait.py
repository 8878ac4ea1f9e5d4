"""``wait``: a durable pause, for a duration or until the incident reaches a status.

The wait is stored as a due time, so a restart neither shortens nor repeats it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg, Defer
from surge.durations import parse_duration
from surge.plugin import hookimpl
from surge.store.records import IncidentStatus

_STATUSES = tuple(
    status.value for status in IncidentStatus if status is not IncidentStatus.TRIGGERED
)


async def _wait(ctx: ActionContext) -> ActionResult:
    until_status = ctx.args.get("until")
    if ctx.resume is None:
        return _first_call(ctx, until_status)
    deadline = datetime.fromisoformat(str(ctx.resume["deadline"]))
    if until_status is not None and _reached(ctx, str(until_status)):
        return {
            "reached": ctx.incident.status.value,
            "waited_s": round((ctx.now - _started(ctx)).total_seconds(), 3),
        }
    escalated = (ctx.resume.get("signal") or {}).get("escalate")
    if until_status is not None and escalated:
        raise ActionError(
            f"escalated by {escalated} before the incident was {until_status}", retryable=False
        )
    if ctx.now < deadline:
        return Defer(until=deadline, state=ctx.resume, wake_on_status=until_status is not None)
    if until_status is not None:
        raise ActionError(
            f"timed out waiting for the incident to be {until_status}", retryable=False
        )
    return {"waited_s": round((ctx.now - _started(ctx)).total_seconds(), 3)}


def _combination(args: Mapping[str, Any]) -> list[str]:
    """The engine checks this before every call, and ``surge validate`` beforehand."""
    waits_for, until, timeout = (args.get(k) is not None for k in ("for", "until", "timeout"))
    if not waits_for and not until:
        return ["wait needs `for: DURATION` or `until: STATUS`"]
    if waits_for and until:
        return ["wait takes `for: DURATION` or `until: STATUS` (with `timeout:`), not both"]
    if timeout and not until:
        return ["`timeout` only applies with `until: STATUS`"]
    return []


def _first_call(ctx: ActionContext, until_status: object) -> ActionResult:
    length_arg, timeout_arg = ctx.args.get("for"), ctx.args.get("timeout")
    if until_status is not None and _reached(ctx, str(until_status)):
        return {"reached": ctx.incident.status.value, "waited_s": 0}
    length = parse_duration(length_arg or timeout_arg or "1h")
    deadline = ctx.now + timedelta(seconds=length)
    state = {"deadline": deadline.isoformat(), "started": ctx.now.isoformat()}
    message = (
        f"{ctx.step_id}: waiting up to {timeout_arg or '1h'} for {until_status}"
        if until_status is not None
        else f"{ctx.step_id}: waiting {length_arg}"
    )
    return Defer(
        until=deadline, state=state, wake_on_status=until_status is not None, message=message
    )


def _reached(ctx: ActionContext, status: str) -> bool:
    return ctx.incident.status.rank >= IncidentStatus(status).rank


def _started(ctx: ActionContext) -> datetime:
    return datetime.fromisoformat(str((ctx.resume or {})["started"]))


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="wait",
            run=_wait,
            idempotent=True,
            check=_combination,
            args={
                "for": Arg("duration", description="how long to wait"),
                "until": Arg(
                    "string",
                    choices=_STATUSES,
                    description="wait until the incident reaches this status (or a later one)",
                ),
                "timeout": Arg(
                    "duration", description="with `until`: fail after this long (default 1h)"
                ),
            },
            description="Pause for a duration, or until the incident reaches a status.",
        )
    ]
