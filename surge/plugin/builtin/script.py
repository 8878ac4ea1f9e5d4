"""``script.activate``: the response script an incident's agents must follow."""

from __future__ import annotations

from collections.abc import Iterable

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl


async def _activate(ctx: ActionContext) -> ActionResult:
    script_id = str(ctx.args["script"])
    variables = dict(ctx.args.get("vars") or {})
    try:
        await ctx.activate_script(script_id, variables)
    except ValueError as error:  # not approved, unknown, or its text breaks a rule
        raise ActionError(str(error), retryable=False) from None
    await ctx.note(f"agents now follow script {script_id}", {"vars": variables})
    return {"script": script_id, "vars": variables}


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="script.activate",
            run=_activate,
            idempotent=True,
            args={
                "script": Arg("string", required=True, description="an approved script's id"),
                "vars": Arg("mapping", description="its variables (ETA, workaround, …)"),
            },
            description="Set the approved response script the incident's agents must follow.",
        )
    ]
