"""``customers.collect``: start collecting an incident's affected customers, and record
those a step already knows (a CRM webhook's answer, say).

People add the rest as they reach the service: ``surge customers ID --add REF`` or
``POST /api/v1/incidents/{id}/customers``. The step's note on the timeline says how, and
names no customer's contact; a ``contact`` in the step's arguments is masked on the
timeline and in the stored arguments (surge.redact). Safe to re-run: a customer is on an
incident once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.customers.service import CustomerError
from surge.plugin import hookimpl


async def _collect(ctx: ActionContext) -> ActionResult:
    customers = ctx.services.customers
    if customers is None:
        raise ActionError("affected customers are not set up in this runtime", retryable=False)
    added = 0
    for number, item in enumerate(ctx.args.get("customers") or [], 1):
        if not isinstance(item, Mapping):
            raise ActionError(f"customer {number}: expected a mapping", retryable=False)
        try:
            _, new = await customers.add(ctx.incident.id, item, f"step:{ctx.step_id}")
        except CustomerError as error:
            raise ActionError(f"customer {number}: {error}", retryable=False) from None
        added += new
    total = len(await customers.list(ctx.incident.id))
    how = str(ctx.args.get("ask") or "")
    await ctx.note(
        f"collecting affected customers: `surge customers {ctx.incident.id} --add REF` or "
        f"POST /api/v1/incidents/{ctx.incident.id}/customers" + (f"; {how}" if how else ""),
        {"added": added, "total": total},
    )
    return {"added": added, "total": total}


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="customers.collect",
            run=_collect,
            idempotent=True,
            args={
                "customers": Arg(
                    "list",
                    description="customers known already: {ref, channel, contact, note} each",
                ),
                "ask": Arg("string", description="who should add the others, and how"),
            },
            description="Collect the incident's affected customers; record those given.",
        )
    ]
