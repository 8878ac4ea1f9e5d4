"""``log``: write a note on the incident's timeline.

The note's actor is ``step:<step id>`` and its kind ``note``. Marked idempotent: a step
re-run after a crash may write its note twice, which harms no one.
"""

from __future__ import annotations

from collections.abc import Iterable

from surge.actions import ActionContext, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl

_LEVELS = ("info", "warning", "error")


async def _log(ctx: ActionContext) -> ActionResult:
    message = str(ctx.args["message"])
    level = str(ctx.args.get("level") or "info")
    await ctx.note(message, {"level": level})
    return {"message": message, "level": level}


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="log",
            run=_log,
            idempotent=True,
            args={
                "message": Arg("string", required=True, description="the note's text"),
                "level": Arg("string", choices=_LEVELS, description="info (default) or worse"),
            },
            description="Write a note on the incident's timeline.",
        )
    ]
