"""``page``: page people along an escalation policy of the rota until someone acknowledges.

Safe to re-run after a crash: the escalation and every page are rows in the store keyed
by the step's idempotency key, so a re-run pages nobody twice (see surge/paging/).
"""

from __future__ import annotations

from collections.abc import Iterable

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.paging.escalation import escalate, policy_of
from surge.paging.text import DEFAULT_SCRIPTS
from surge.plugin import hookimpl


async def _page(ctx: ActionContext) -> ActionResult:
    paging = ctx.services.pagers
    if paging is None:
        raise ActionError("paging is not set up: the config needs `rota:`", retryable=False)
    policy = policy_of(paging.rota, str(ctx.args["policy"]))
    script = str(ctx.args.get("script") or DEFAULT_SCRIPTS["escalation"])
    return await escalate(ctx, paging, policy, script)


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="page",
            run=_page,
            uses_idempotency_key=True,
            args={
                "policy": Arg(
                    "string", required=True, description="an escalation policy of the rota"
                ),
                "script": Arg(
                    "string",
                    description="the approved response script of the page's text "
                    "(default page-oncall)",
                ),
            },
            description="Page people along an escalation policy until someone acknowledges.",
        )
    ]
