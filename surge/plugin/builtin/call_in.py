"""``staff.call_in``: call in the standby people a traffic peak needs (Erlang C from the
live contact rate and handle time), replacing whoever declines or does not answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl
from surge.staffing.call_in import call_in
from surge.staffing.plan import parse_target


async def _call_in(ctx: ActionContext) -> ActionResult:
    paging = ctx.services.pagers
    if paging is None or paging.rota is None:
        raise ActionError(
            "staff.call_in needs a rota: set `rota: config/rota.yaml`", retryable=False
        )
    team = str(ctx.args["team"])
    if team not in paging.rota.teams:
        known = ", ".join(sorted(paging.rota.teams)) or "none"
        raise ActionError(f"no team {team!r} in the rota (known: {known})", retryable=False)
    return await call_in(ctx, paging, team, str(ctx.args.get("script") or "call-in"))


def _check(args: Mapping[str, Any]) -> list[str]:
    problems = []
    target = args.get("target")
    if isinstance(target, str) and "{" not in target:
        try:
            parse_target(target)
        except ValueError as error:
            problems.append(f"target: {error}")
    shrinkage = args.get("shrinkage")
    if isinstance(shrinkage, int | float) and not 0 <= shrinkage < 1:
        problems.append("shrinkage must be from 0 up to (not including) 1")
    return problems


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="staff.call_in",
            run=_call_in,
            uses_idempotency_key=True,
            check=_check,
            args={
                "team": Arg("string", required=True, description="the rota's team"),
                "rate_query": Arg("string", required=True, description="PromQL: contacts a second"),
                "aht_query": Arg(
                    "string", required=True, description="PromQL: handle time, seconds"
                ),
                "target": Arg("string", description="service level, e.g. 80/30s (the default)"),
                "shrinkage": Arg("float", description="share of scheduled time off the phones"),
                "patience": Arg("duration", description="callers' mean patience: Erlang A"),
                "answer_within": Arg("duration", description="how long each person has (10m)"),
                "max": Arg("int", description="call in at most this many (20)"),
                "script": Arg("string", description="the approved script of the page (call-in)"),
            },
            description="Call in standby staff for a traffic peak, by Erlang C on live metrics.",
        )
    ]
