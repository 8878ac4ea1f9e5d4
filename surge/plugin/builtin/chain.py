"""``playbook.trigger``: start another playbook with params, linked to this incident.

A system outage that brings a complaint surge chains to it. The target's ``group_by``,
``cooldown`` and ``max_open`` hold as for an alert; the step's idempotency key makes a
re-run after a kill find the incident it opened instead of opening a second one (see
surge/triggers/chain.py). ``with.params`` are rendered like any ``with`` value, so what
came from outside stays a value.
"""

from __future__ import annotations

from collections.abc import Iterable

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl


async def _trigger(ctx: ActionContext) -> ActionResult:
    chains = ctx.services.chains
    if chains is None:
        raise ActionError("starting playbooks is not set up in this runtime", retryable=False)
    target = str(ctx.args["playbook"])
    params = ctx.args.get("params") or {}
    try:
        started = await chains.start(ctx.incident, ctx.step_id, ctx.idempotency_key, target, params)
    except LookupError:  # UnknownPlaybook
        raise ActionError(f"no playbook {target!r} is loaded", retryable=False) from None
    except ValueError as error:
        raise ActionError(f"playbook {target!r}: {error}", retryable=False) from None
    return started.result()


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="playbook.trigger",
            run=_trigger,
            uses_idempotency_key=True,
            playbook_arg="playbook",
            args={
                "playbook": Arg("string", required=True, description="the playbook to start"),
                "params": Arg("mapping", description="its params (templates over this incident)"),
            },
            description="Start another playbook with params; both incidents link to each other.",
        )
    ]
