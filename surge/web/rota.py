"""``GET /api/v1/rota/oncall``: who is on shift at a moment."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from surge.rota.oncall import report
from surge.triggers.windows import read_time
from surge.web.api import READERS
from surge.web.auth import requires
from surge.web.errors import error_response
from surge.web.keys import runtime

routes = web.RouteTableDef()


@routes.get("/api/v1/rota/oncall")
@requires(*READERS)
async def oncall(request: web.Request) -> web.Response:
    rota = runtime(request).engine.services.rota
    if rota is None:
        return error_response(404, "no rota is configured: set `rota: config/rota.yaml`")
    at = datetime.now(UTC)
    if "at" in request.query:
        try:
            at = read_time(request.query["at"], rota.zone)
        except ValueError as error:
            return error_response(400, f"at: {error}")
    try:
        return web.json_response(report(rota, at, request.query.get("team")))
    except ValueError as error:
        return error_response(400, str(error))
