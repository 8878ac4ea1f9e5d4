"""``script.activate``: the response script an incident's agents must follow.
``script.await_approval``: hold the run until someone approves a script (for this
incident), so that what follows, a public statement say, goes out only once approved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg, Defer
from surge.durations import parse_duration
from surge.plugin import hookimpl
from surge.scripts.approval import ApprovalState, standing
from surge.store.records import Approval

LOOK_EVERY = 5.0  # seconds between two looks at the approvals while waiting


async def _activate(ctx: ActionContext) -> ActionResult:
    script_id = str(ctx.args["script"])
    variables = dict(ctx.args.get("vars") or {})
    try:
        await ctx.activate_script(script_id, variables)
    except ValueError as error:  # not approved, unknown, or its text breaks a rule
        raise ActionError(str(error), retryable=False) from None
    await ctx.note(f"agents now follow script {script_id}", {"vars": variables})
    return {"script": script_id, "vars": variables}


async def _await_approval(ctx: ActionContext) -> ActionResult:
    scripts = ctx.services.scripts
    if scripts is None:
        raise ActionError(
            "response scripts are not set up (`scripts:` in the config)", retryable=False
        )
    script_id = str(ctx.args["script"])
    try:
        script = scripts.get(script_id)
    except ValueError as error:
        raise ActionError(str(error), retryable=False) from None
    started = datetime.fromisoformat(str(ctx.resume["started"])) if ctx.resume else ctx.now
    since = ctx.incident.created_at if ctx.args.get("since", "incident") == "incident" else None
    found = standing(script, await scripts.store.approvals(script_id))
    latest: Approval | None = found.latest
    usable = found.state is ApprovalState.APPROVED and latest is not None
    if usable and latest is not None and (since is None or latest.approved_at >= since):
        await ctx.note(
            f"{script_id} approved by {latest.approved_by}",
            {"script": script_id, "by": latest.approved_by},
        )
        return {
            "script": script_id,
            "approved_by": latest.approved_by,
            "approved_at": latest.approved_at.isoformat(),
            "waited_s": round((ctx.now - started).total_seconds(), 3),
        }
    timeout = parse_duration(ctx.args.get("timeout") or "4h")
    if ctx.now >= started + timedelta(seconds=timeout):
        raise ActionError(f"nobody approved {script_id} within {timeout:g}s", retryable=False)
    return Defer(
        until=min(ctx.now + timedelta(seconds=LOOK_EVERY), started + timedelta(seconds=timeout)),
        state={"started": started.isoformat()},
        message=f"{ctx.step_id}: waiting for someone to approve {script_id} "
        f"(surge scripts approve {script_id} --by NAME)",
    )


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
        ),
        ActionSpec(
            name="script.await_approval",
            run=_await_approval,
            idempotent=True,
            args={
                "script": Arg("string", required=True, description="the script to approve"),
                "since": Arg(
                    "string",
                    choices=("incident", "any"),
                    description="incident (default): an approval given after the incident "
                    "opened; any: the script's standing approval will do",
                ),
                "timeout": Arg("duration", description="give up after this long (4h)"),
            },
            description="Wait until someone approves a script: what follows goes out approved.",
        ),
    ]
