"""``/api/v1``: playbooks, incidents and their lifecycle."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from surge import serialize
from surge.engine.engine import TransitionError, UnknownIncident
from surge.playbook.params import ParamError
from surge.store.base import GroupBusy
from surge.store.records import STATUS_VERBS, IncidentStatus
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import principal, runtime

READERS = ("viewer", "responder", "comms")
routes = web.RouteTableDef()


@routes.get("/api/v1/playbooks")
@requires(*READERS)
async def list_playbooks(request: web.Request) -> web.Response:
    state = runtime(request)
    return web.json_response(
        {
            "playbooks": [serialize.playbook(item) for item in state.playbooks.all()],
            "problems": [str(problem) for problem in state.problems],
        }
    )


@routes.post("/api/v1/playbooks/{playbook}/trigger")
@requires("responder", "comms", "viewer")  # narrowed to the playbook's manual roles below
async def trigger_playbook(request: web.Request) -> web.Response:
    body = await json_body(request)
    return await _trigger(request, request.match_info["playbook"], body.get("params", {}))


@routes.post("/api/v1/incidents")
@requires("responder", "comms", "viewer")
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
    return web.json_response(
        serialize.incident(incident),
        status=201,
        headers={"Location": f"/api/v1/incidents/{incident.id}"},
    )


@routes.get("/api/v1/incidents")
@requires(*READERS)
async def list_incidents(request: web.Request) -> web.Response:
    query = request.query
    try:
        statuses = [IncidentStatus(value) for value in query.getall("status", [])]
    except ValueError:
        allowed = ", ".join(status.value for status in IncidentStatus)
        raise web.HTTPBadRequest(reason=f"status must be one of {allowed}") from None
    limit = _number(query.get("limit", "100"), "limit must be a number")
    if not 1 <= limit <= 1000:
        raise web.HTTPBadRequest(reason="limit must be from 1 to 1000")
    incidents = await runtime(request).store.list_incidents(
        statuses=statuses, playbook_id=query.get("playbook"), limit=limit
    )
    return web.json_response({"incidents": [serialize.incident(item) for item in incidents]})


@routes.get("/api/v1/incidents/{id}")
@requires(*READERS)
async def show_incident(request: web.Request) -> web.Response:
    state = runtime(request)
    incident_id = _incident_id(request)
    incident = await state.store.get_incident(incident_id)
    if incident is None:
        return error_response(404, f"no incident {incident_id}")
    body = serialize.incident(incident)
    body["steps"] = [serialize.run(item) for item in await state.store.runs(incident_id)]
    body["timeline"] = [serialize.entry(item) for item in await state.store.timeline(incident_id)]
    return web.json_response(body)


@routes.get("/api/v1/incidents/{id}/timeline")
@requires(*READERS)
async def incident_timeline(request: web.Request) -> web.Response:
    state = runtime(request)
    incident_id = _incident_id(request)
    after = _number(request.query.get("after", "0"), "after must be a timeline entry id (a number)")
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
@requires("responder")
async def change_status(request: web.Request) -> web.Response:
    state = runtime(request)
    body = await json_body(request)
    note = body.get("note", "")
    if not isinstance(note, str):
        raise web.HTTPBadRequest(reason='"note" must be a string')
    status = STATUS_VERBS[request.match_info["action"]]
    try:
        incident = await state.engine.change_status(
            _incident_id(request), status, principal(request).name, note
        )
    except UnknownIncident:
        return error_response(404, f"no incident {request.match_info['id']}")
    except TransitionError as error:
        return error_response(409, str(error))
    return web.json_response(serialize.incident(incident))


def _number(raw: str, problem: str) -> int:
    """A query parameter as an int the store can take (SQLite holds 64 bits), or a 400."""
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(reason=problem) from None
    return max(-(2**63), min(value, 2**63 - 1))


def _incident_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise web.HTTPNotFound(reason=f"no incident {raw!r}: incident ids are numbers")
    return int(raw)
