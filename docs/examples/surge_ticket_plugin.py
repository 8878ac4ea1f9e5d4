"""An example surge plugin: opens a ticket for an incident and comments on status changes.

Ship it as a distribution whose pyproject.toml registers it in the ``surge`` group:

    [project.entry-points.surge]
    tickets = "surge_ticket_plugin:plugin"
"""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl
from surge.store.records import Incident, IncidentStatus

__version__ = "0.1.0"


class TicketPlugin:
    """Opens tickets with ``ticket.open``; remembers them to comment on status changes.

    The memory is this process's only: after a restart, comments go to tickets opened
    since. A production plugin would ask the ticket system for the incident's reference.
    """

    name = "tickets"

    def __init__(self) -> None:
        self.opened: dict[int, list[tuple[str, str]]] = {}  # incident -> (api, ticket id)

    async def open_ticket(self, ctx: ActionContext) -> ActionResult:
        api = str(ctx.args["url"]).rstrip("/")
        ticket = {
            "title": ctx.args["title"],
            "priority": ctx.args.get("priority") or "normal",
            "reference": f"surge-incident-{ctx.incident.id}",
        }
        # the ticket system de-duplicates on this key, so a re-run opens no second ticket
        headers = {"Idempotency-Key": ctx.idempotency_key}
        try:
            async with ctx.http.post(f"{api}/tickets", json=ticket, headers=headers) as response:
                if response.status >= 400:
                    retryable = response.status >= 500 or response.status == 429
                    raise ActionError(f"ticket system: HTTP {response.status}", retryable=retryable)
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ActionError(f"ticket system unreachable: {error}") from None
        if not isinstance(answer, dict) or "id" not in answer:
            raise ActionError(f"ticket system: no ticket id in {answer!r}", retryable=False)
        ticket_id = str(answer["id"])
        self.opened.setdefault(ctx.incident.id, []).append((api, ticket_id))
        return {"ticket": ticket_id}

    @hookimpl
    def surge_register_actions(self) -> Iterable[ActionSpec]:
        return [
            ActionSpec(
                name="ticket.open",
                run=self.open_ticket,
                args={
                    "url": Arg("string", required=True, description="the ticket system's API"),
                    "title": Arg("string", required=True),
                    "priority": Arg("string", choices=("low", "normal", "high")),
                },
                description="Open a ticket for the incident; returns its id.",
                uses_idempotency_key=True,
            )
        ]

    @hookimpl
    async def surge_incident_status_changed(
        self, incident: Incident, previous: IncidentStatus, actor: str
    ) -> None:
        tickets = self.opened.get(incident.id, [])
        if not incident.status.is_open:
            self.opened.pop(incident.id, None)
        comment = {"body": f"surge: {previous.value} -> {incident.status.value} by {actor}"}
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for api, ticket_id in tickets:
                url = f"{api}/tickets/{ticket_id}/comments"
                async with session.post(url, json=comment) as response:
                    response.raise_for_status()  # a failure lands on the incident's timeline


plugin = TicketPlugin()
