"""``set_status``: move the incident along its lifecycle from a playbook."""

from __future__ import annotations

from collections.abc import Iterable

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl
from surge.store.records import STATUS_VERBS

_CHOICES = tuple(status.value for status in STATUS_VERBS.values())


async def _set_status(ctx: ActionContext) -> ActionResult:
    status = str(ctx.args["status"])
    if ctx.incident.status.value == status:
        return {"status": status, "changed": False}
    try:
        await ctx.set_status(status, str(ctx.args.get("reason") or f"step {ctx.step_id}"))
    except ValueError as error:
        raise ActionError(str(error), retryable=False) from None
    return {"status": status, "changed": True}


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="set_status",
            run=_set_status,
            idempotent=True,
            args={
                "status": Arg("string", required=True, choices=_CHOICES),
                "reason": Arg("string", description="shown on the timeline"),
            },
            description="Set the incident's status (acknowledged, mitigated, resolved, cancelled).",
        )
    ]
