"""``/api/v1/silences``: matching alerts and metric triggers are recorded but start nothing."""

from __future__ import annotations

from aiohttp import web

from surge import serialize
from surge.triggers.silences import SilenceError, expire_by_hand, silence_from_json
from surge.web.api import READERS
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import principal, runtime

routes = web.RouteTableDef()
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@routes.get("/api/v1/silences")
@requires(*READERS)
async def list_silences(request: web.Request) -> web.Response:
    state = runtime(request)
    everything = _FLAGS.get(request.query.get("all", "false").lower())
    if everything is None:
        raise web.HTTPBadRequest(reason="all must be true or false")
    now = state.engine.clock()
    found = await state.store.list_silences(unexpired_at=None if everything else now)
    return web.json_response({"silences": [serialize.silence(item, now) for item in found]})


@routes.post("/api/v1/silences")
@requires("responder")
async def add_silence(request: web.Request) -> web.Response:
    state = runtime(request)
    body = await json_body(request)
    now = state.engine.clock()
    try:
        silence = silence_from_json(body, created_by=principal(request).name, now=now)
    except SilenceError as error:
        return error_response(400, "invalid silence", problems=error.problems)
    stored = await state.store.add_silence(silence)
    return web.json_response(serialize.silence(stored, now), status=201)


@routes.post("/api/v1/silences/{id}/expire")
@requires("responder")
async def expire_silence(request: web.Request) -> web.Response:
    state = runtime(request)
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return error_response(404, f"no silence {raw!r}: silence ids are numbers")
    now = state.engine.clock()
    silence = await expire_by_hand(state.store, int(raw), now)
    if silence is None:
        return error_response(404, f"no silence {raw}")
    return web.json_response(serialize.silence(silence, now))
