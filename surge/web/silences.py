"""``/api/v1/silences``: matching alerts and metric triggers are recorded but start nothing."""

from __future__ import annotations

from aiohttp import web

from surge import serialize
from surge.audit import changes
from surge.roles import READ, RESPOND
from surge.triggers.silences import SilenceError, expire_by_hand, silence_from_json
from surge.web.audit import audit
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import principal, runtime
from surge.web.openapi import Answer, Body, describe, path, query
from surge.web.params import one, record_id
from surge.web.schemas import ID, OBJECT, SILENCE, TEXT, TEXTS, record

routes = web.RouteTableDef()
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
NEW_SILENCE = {
    "type": "object",
    "description": "matchers (or components for a maintenance window) and a comment; an end "
    "(ends_at or for) unless there are windows",
    "properties": {
        "matchers": {**TEXTS, "description": 'e.g. alertname="ChannelDown"'},
        "components": {**TEXTS, "description": "a maintenance window: these components"},
        "comment": {**TEXT, "description": "why (required)"},
        "starts_at": {**TEXT, "description": "ISO 8601; default now"},
        "ends_at": {**TEXT, "description": "ISO 8601"},
        "for": {**TEXT, "description": "a duration from starts_at, e.g. 2h"},
        "windows": {
            "type": "array",
            "items": {"oneOf": [TEXT, OBJECT]},
            "description": 'e.g. "daily 22:00-06:00", or {days, start, end}',
        },
        "window": {**TEXT, "description": "one window as a text"},
        "timezone": {**TEXT, "description": "IANA name, default UTC"},
    },
}


@routes.get("/api/v1/silences")
@requires(READ)
@describe(
    "silences.list",
    "Silences in force (with all=true, every silence), newest first",
    tags=["silences"],
    params=[query("all", {"enum": list(_FLAGS)}, "also those that ended or were expired", "false")],
    responses={
        200: Answer("silences", record({"silences": {"type": "array", "items": SILENCE}})),
        400: "all is not true or false",
    },
)
async def list_silences(request: web.Request) -> web.Response:
    state = runtime(request)
    everything = _FLAGS.get(one(request, "all", "false") or "")
    if everything is None:
        raise web.HTTPBadRequest(reason="all must be true or false")
    now = state.engine.clock()
    found = await state.store.list_silences(unexpired_at=None if everything else now)
    return web.json_response({"silences": [serialize.silence(item, now) for item in found]})


@routes.post("/api/v1/silences")
@requires(RESPOND)
@describe(
    "silences.add",
    "Add a silence",
    tags=["silences"],
    body=Body(
        NEW_SILENCE,
        "the silence",
        required=True,
        example={
            "matchers": ["alertname=ChannelDown", "channel=hotline"],
            "window": "daily 22:00-06:00",
            "timezone": "Asia/Shanghai",
            "comment": "hotline is closed at night",
        },
    ),
    responses={
        201: Answer("the silence, stored", SILENCE),
        400: "the silence cannot be stored (`problems` lists each reason)",
    },
)
async def add_silence(request: web.Request) -> web.Response:
    state = runtime(request)
    body = await json_body(request)
    now = state.engine.clock()
    try:
        silence = silence_from_json(body, created_by=principal(request).name, now=now)
    except SilenceError as error:
        return error_response(400, "invalid silence", problems=error.problems)
    stored = await state.store.add_silence(silence)
    shown = serialize.silence(stored, now)
    await audit(request, changes.silence_added(shown))
    return web.json_response(shown, status=201)


@routes.post("/api/v1/silences/{id}/expire")
@requires(RESPOND)
@describe(
    "silences.expire",
    "End a silence now",
    description="Expiring one that has already ended changes nothing.",
    tags=["silences"],
    params=[path("id", ID, "the silence's id", 1)],
    responses={200: Answer("the silence, expired", SILENCE), 404: "no such silence"},
)
async def expire_silence(request: web.Request) -> web.Response:
    state = runtime(request)
    silence_id = record_id(request, "silence")
    now = state.engine.clock()
    silence = await expire_by_hand(state.store, silence_id, now)
    if silence is None:
        return error_response(404, f"no silence {silence_id}")
    await audit(request, changes.silence_expired(silence_id))
    return web.json_response(serialize.silence(silence, now))
