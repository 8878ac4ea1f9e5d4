"""``/api/v1``: playbooks, incidents and their lifecycle."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from surge import serialize
from surge.audit import changes
from surge.engine.engine import TransitionError, UnknownIncident
from surge.playbook.params import ParamError
from surge.roles import READ, RESPOND, TRIGGER
from surge.store.base import GroupBusy
from surge.store.records import STATUS_VERBS, IncidentStatus
from surge.web.audit import audit
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import principal, runtime
from surge.web.openapi import Answer, Body, describe, path, query
from surge.web.params import number, one, record_id
from surge.web.schemas import (
    ID,
    INCIDENT,
    INCIDENT_DETAIL,
    OBJECT,
    TEXT,
    TEXTS,
    TIMELINE_ENTRY,
    record,
)

READERS = READ.roles  # for routes written before surge.roles; name READ instead
routes = web.RouteTableDef()
INCIDENT_ID = path("id", ID, "the incident's id", 1)
PARAM = record(
    {
        "name": TEXT,
        "type": {"enum": ["string", "int", "float", "bool", "duration", "enum", "list"]},
        "required": {"type": "boolean"},
        "default": {"description": "any JSON value, or null"},
        "choices": {"type": "array"},
        "min": {"type": ["number", "null"]},
        "max": {"type": ["number", "null"]},
        "item_type": TEXT,
        "description": TEXT,
    }
)
PLAYBOOK = record(
    {
        "id": TEXT,
        "title": TEXT,
        "kind": TEXT,
        "severity": TEXT,
        "description": TEXT,
        "params": {"type": "object", "additionalProperties": PARAM},
        "triggers": {
            "type": "array",
            "items": {**OBJECT, "description": "{manual: …}, {alert: …} or {metric: …}"},
        },
        "steps": TEXTS,
        "on_resolve": TEXTS,
        "source": TEXT,
    }
)
PARAMS = {
    "type": "object",
    "description": "NAME: VALUE; JSON-typed or as text, checked against the playbook's params",
}
CREATED = Answer(
    "the incident, opened; its steps run in the background",
    INCIDENT,
    headers={"Location": "/api/v1/incidents/ID"},
)
TRIGGER_ERRORS: dict[int, Answer | str] = {
    201: CREATED,
    400: "the params do not fit the playbook (`problems` lists each)",
    403: "the role is not one the playbook's manual trigger lists",
    404: "no such playbook (`known` lists those that exist)",
    409: "the playbook's group has an open incident already (`incident` names it)",
}


@routes.get("/api/v1/playbooks")
@requires(READ)
@describe(
    "playbooks.list",
    "The loaded playbooks, and the problems of those that did not load",
    tags=["playbooks"],
    responses={
        200: Answer(
            "playbooks, and problems as file:line:col: message",
            record({"playbooks": {"type": "array", "items": PLAYBOOK}, "problems": TEXTS}),
        )
    },
)
async def list_playbooks(request: web.Request) -> web.Response:
    state = runtime(request)
    return web.json_response(
        {
            "playbooks": [serialize.playbook(item) for item in state.playbooks.all()],
            "problems": [str(problem) for problem in state.problems],
        }
    )


@routes.post("/api/v1/playbooks/{playbook}/trigger")
@requires(TRIGGER)  # narrowed to the playbook's manual roles in _trigger
@describe(
    "playbooks.trigger",
    "Open an incident of this playbook",
    tags=["incidents"],
    params=[path("playbook", TEXT, "the playbook's id", "example")],
    body=Body(
        record({"params": PARAMS}),
        "the params; without a body, none (defaults fill in)",
        example={"params": {"reason": "checkout errors at 5%"}},
    ),
    responses=TRIGGER_ERRORS,
)
async def trigger_playbook(request: web.Request) -> web.Response:
    body = await json_body(request)
    return await _trigger(request, request.match_info["playbook"], body.get("params", {}))


@routes.post("/api/v1/incidents")
@requires(TRIGGER)
@describe(
    "incidents.create",
    "Open an incident, the playbook named in the body",
    tags=["incidents"],
    body=Body(
        {
            "type": "object",
            "required": ["playbook"],
            "properties": {"playbook": {"type": "string", "minLength": 1}, "params": PARAMS},
        },
        "the playbook's id and its params",
        required=True,
        example={"playbook": "example", "params": {"reason": "checkout errors at 5%"}},
    ),
    responses={**TRIGGER_ERRORS, 400: "no playbook named, or params that do not fit"},
)
async def create_incident(request: web.Request) -> web.Response:
    body = await json_body(request)
    playbook = body.get("playbook")
    if not isinstance(playbook, str) or not playbook:
        raise web.HTTPBadRequest(reason='the body needs "playbook": ID')
    return await _trigger(request, playbook, body.get("params", {}))


async def _trigger(request: web.Request, playbook_id: str, params: Any) -> web.Response:
    state = runtime(request)
    caller = principal(request)
    playbook = state.playbooks.get(playbook_id)
    if playbook is None:
        return error_response(
            404, f"no playbook {playbook_id!r}", known=[item.id for item in state.playbooks.all()]
        )
    allowed = playbook.manual_roles()
    if not caller.has(allowed):
        needs = ", ".join(allowed) if allowed else "admin (the playbook has no manual trigger)"
        raise web.HTTPForbidden(
            reason=f"role {caller.role!r} may not trigger {playbook_id}; needs: {needs}"
        )
    if not isinstance(params, dict):
        raise web.HTTPBadRequest(reason='"params" must be a JSON object')
    try:
        incident = await state.engine.trigger(playbook_id, params, actor=caller.name, source="api")
    except ParamError as error:
        return error_response(400, "invalid params", problems=error.problems)
    except GroupBusy as busy:
        return error_response(
            409, f"{busy}: add to it or resolve it first", incident=busy.incident.id
        )
    await audit(request, changes.incident_triggered(incident))
    return web.json_response(
        serialize.incident(incident),
        status=201,
        headers={"Location": f"/api/v1/incidents/{incident.id}"},
    )


STATUS = {"enum": [status.value for status in IncidentStatus]}


@routes.get("/api/v1/incidents")
@requires(READ)
@describe(
    "incidents.list",
    "Incidents, newest first",
    tags=["incidents"],
    params=[
        query(
            "status",
            {"type": "array", "items": STATUS},
            "only these statuses; repeat it for several",
            ["triggered"],
        ),
        query("playbook", TEXT, "only incidents of this playbook"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "default 100", 50),
    ],
    responses={
        200: Answer("incidents", record({"incidents": {"type": "array", "items": INCIDENT}})),
        400: "a status that does not exist, or a limit that is not from 1 to 1000",
    },
)
async def list_incidents(request: web.Request) -> web.Response:
    try:
        statuses = [IncidentStatus(value) for value in request.query.getall("status", [])]
    except ValueError:
        allowed = ", ".join(status.value for status in IncidentStatus)
        raise web.HTTPBadRequest(reason=f"status must be one of {allowed}") from None
    limit = number(one(request, "limit", "100") or "", "limit must be a number")
    if not 1 <= limit <= 1000:
        raise web.HTTPBadRequest(reason="limit must be from 1 to 1000")
    incidents = await runtime(request).store.list_incidents(
        statuses=statuses, playbook_id=one(request, "playbook"), limit=limit
    )
    return web.json_response({"incidents": [serialize.incident(item) for item in incidents]})


@routes.get("/api/v1/incidents/{id}")
@requires(READ)
@describe(
    "incidents.show",
    "One incident with every step attempt and its whole timeline",
    tags=["incidents"],
    params=[INCIDENT_ID],
    responses={200: Answer("the incident", INCIDENT_DETAIL), 404: "no such incident"},
)
async def show_incident(request: web.Request) -> web.Response:
    state = runtime(request)
    incident_id = record_id(request, "incident")
    incident = await state.store.get_incident(incident_id)
    if incident is None:
        return error_response(404, f"no incident {incident_id}")
    body = serialize.incident(incident)
    body["steps"] = [serialize.run(item) for item in await state.store.runs(incident_id)]
    body["timeline"] = [serialize.entry(item) for item in await state.store.timeline(incident_id)]
    return web.json_response(body)


@routes.get("/api/v1/incidents/{id}/timeline")
@requires(READ)
@describe(
    "incidents.timeline",
    "The incident and its timeline entries after a given one, oldest first",
    description="Poll it with the last entry id seen to follow a run.",
    tags=["incidents"],
    params=[
        INCIDENT_ID,
        query("after", {"type": "integer"}, "only entries with a greater id (default 0)", 0),
    ],
    responses={
        200: Answer(
            "the incident and the entries",
            record({"incident": INCIDENT, "timeline": {"type": "array", "items": TIMELINE_ENTRY}}),
        ),
        400: "after is not a number",
        404: "no such incident",
    },
)
async def incident_timeline(request: web.Request) -> web.Response:
    state = runtime(request)
    incident_id = record_id(request, "incident")
    after = number(one(request, "after", "0") or "", "after must be a timeline entry id (a number)")
    incident = await state.store.get_incident(incident_id)
    if incident is None:
        return error_response(404, f"no incident {incident_id}")
    entries = await state.store.timeline(incident_id, after)
    return web.json_response(
        {
            "incident": serialize.incident(incident),
            "timeline": [serialize.entry(item) for item in entries],
        }
    )


@routes.post(r"/api/v1/incidents/{id}/{action:(ack|mitigate|resolve|cancel)}")
@requires(RESPOND)
@describe(
    "incidents.changeStatus",
    "Acknowledge, mitigate, resolve or cancel an incident",
    description="ack: from triggered; mitigate: from triggered or acknowledged; resolve and "
    "cancel: from any open status (the steps not started are skipped, on_resolve runs). "
    "A wait on the incident's status wakes at once.",
    tags=["incidents"],
    params=[
        INCIDENT_ID,
        path("action", {"enum": list(STATUS_VERBS)}, "the change", "ack"),
    ],
    body=Body(
        record({"note": {**TEXT, "description": "shown on the timeline with the change"}}),
        "optional: a note",
        example={"note": "looking into it"},
    ),
    responses={
        200: Answer("the incident as it is now", INCIDENT),
        400: "note is not a string",
        404: "no such incident",
        409: "the incident's status does not allow the change",
    },
)
async def change_status(request: web.Request) -> web.Response:
    state = runtime(request)
    incident_id = record_id(request, "incident")
    body = await json_body(request)
    note = body.get("note", "")
    if not isinstance(note, str):
        raise web.HTTPBadRequest(reason='"note" must be a string')
    verb = request.match_info["action"]
    try:
        incident = await state.engine.change_status(
            incident_id, STATUS_VERBS[verb], principal(request).name, note
        )
    except UnknownIncident:
        return error_response(404, f"no incident {incident_id}")
    except TransitionError as error:
        return error_response(409, str(error))
    await audit(request, changes.incident_status(incident_id, verb, note))
    return web.json_response(serialize.incident(incident))
