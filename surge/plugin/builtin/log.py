"""``log``: write a note on the incident's timeline."""

from __future__ import annotations

from collections.abc import Iterable

from surge.actions import ActionContext, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl


async def _log(ctx: ActionContext) -> ActionResult:
    message = str(ctx.args["message"])
    await ctx.note(message, None)
    return {"message": message}


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [ActionSpec(
        name="log", run=_log, idempotent=True,
        args={"message": Arg("string", required=True, description="the note's text")},
        description="Write a note on the incident's timeline.",
    )]
