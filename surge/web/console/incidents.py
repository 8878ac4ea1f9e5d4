"""The incidents list (with filters) and one incident's page: its steps, its timeline,
and the buttons its status and the reader's role allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from surge.audit import changes
from surge.engine.engine import TransitionError, UnknownIncident, may_become
from surge.roles import READ, RESPOND
from surge.store.records import STATUS_VERBS, Incident, IncidentStatus
from surge.web.audit import audit
from surge.web.auth import Principal, console_page
from surge.web.console.render import part, redirect, render, words
from surge.web.keys import principal, runtime
from surge.web.params import record_id

routes = web.RouteTableDef()
LIST_LIMIT = 200
ACTIONS = ("ack", "escalate", "mitigate", "resolve", "cancel")
OPEN = "open"


@dataclass(frozen=True)
class Filters:
    status: str  # "", "open" or a status
    playbook: str

    @property
    def statuses(self) -> list[IncidentStatus]:
        if self.status == OPEN:
            return [status for status in IncidentStatus if status.is_open]
        return [IncidentStatus(self.status)] if self.status else []


def filters_of(request: web.Request) -> Filters:
    """The list's filters from the query; a value that is none of the choices is ignored."""
    status = request.query.get("status", "")
    known = {OPEN, *(item.value for item in IncidentStatus)}
    playbook = request.query.get("playbook", "")
    playbooks = {item.id for item in runtime(request).playbooks.all()}
    return Filters(status if status in known else "", playbook if playbook in playbooks else "")


async def list_context(request: web.Request) -> dict[str, Any]:
    wanted = filters_of(request)
    incidents = await runtime(request).store.list_incidents(
        statuses=wanted.statuses, playbook_id=wanted.playbook or None, limit=LIST_LIMIT
    )
    return {
        "incidents": incidents,
        "filters": wanted,
        "statuses": [OPEN, *(item.value for item in IncidentStatus)],
        "playbooks": [item.id for item in runtime(request).playbooks.all()],
    }


@routes.get("/console/")
@console_page(READ)
async def incidents_page(request: web.Request) -> web.Response:
    context = await list_context(request)
    rows, seen = await part(request, "_incident_rows.html", **context)
    return await render(request, "incidents.html", rows=rows, seen=seen, **context)


def allowed_actions(incident: Incident, caller: Principal) -> list[str]:
    """The buttons to show: those the role may use and the status allows."""
    if not caller.may(RESPOND) or not incident.status.is_open:
        return []
    return [
        action
        for action in ACTIONS
        if action == "escalate" or may_become(incident.status, STATUS_VERBS[action])
    ]


async def incident_context(request: web.Request, incident_id: int) -> dict[str, Any]:
    store = runtime(request).store
    incident = await store.get_incident(incident_id)
    if incident is None:
        raise web.HTTPNotFound(reason=f"no incident {incident_id}")
    timeline = await store.timeline(incident_id)
    return {
        "incident": incident,
        "runs": await store.runs(incident_id),
        "timeline": timeline,
        "last_entry": timeline[-1].id if timeline else 0,
        "actions": allowed_actions(incident, principal(request)),
        "may_respond": principal(request).may(RESPOND),
    }


@routes.get("/console/incidents/{id}")
@console_page(READ)
async def incident_page(request: web.Request) -> web.Response:
    context = await incident_context(request, record_id(request, "incident"))
    done = request.query.get("done", "")
    notice = (
        words(request)("incident.done", action=words(request)(f"action.{done}"))
        if done in ACTIONS
        else ""
    )
    return await _incident(request, context, notice=notice)


async def _incident(
    request: web.Request,
    context: dict[str, Any],
    status: int = 200,
    notice: str = "",
    problem: str = "",
) -> web.Response:
    summary, seen = await part(request, "_incident_summary.html", **context)
    return await render(
        request,
        "incident.html",
        status=status,
        notice=notice,
        problem=problem,
        summary=summary,
        seen=seen,
        **context,
    )


@routes.post(r"/console/incidents/{id}/{action:(ack|escalate|mitigate|resolve|cancel)}")
@console_page(RESPOND)
async def incident_action(request: web.Request) -> web.StreamResponse:
    incident_id = record_id(request, "incident")
    action = request.match_info["action"]
    note = str((await request.post()).get("note", ""))[:2000]
    engine = runtime(request).engine
    who = principal(request).name
    try:
        if action == "escalate":
            await engine.escalate(incident_id, who)
            change = changes.Change("incident.escalate", f"incident:{incident_id}")
        else:
            await engine.change_status(incident_id, STATUS_VERBS[action], who, note)
            change = changes.incident_status(incident_id, action, note)
    except UnknownIncident:
        raise web.HTTPNotFound(reason=f"no incident {incident_id}") from None
    except TransitionError as error:
        context = await incident_context(request, incident_id)
        return await _incident(request, context, status=409, problem=str(error))
    await audit(request, change)
    raise redirect(f"/console/incidents/{incident_id}?done={action}")
