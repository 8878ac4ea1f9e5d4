"""``GET /api/v1/rota/oncall``: who is on shift at a moment."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from surge.roles import READ
from surge.rota.oncall import report
from surge.triggers.windows import read_time
from surge.web.auth import requires
from surge.web.errors import error_response
from surge.web.keys import runtime
from surge.web.openapi import Answer, Schema, describe, query
from surge.web.params import one
from surge.web.schemas import TEXT, TEXTS, record

routes = web.RouteTableDef()
_LOCAL_TIME = {**TEXT, "description": "ISO 8601 in the rota's time zone"}
ONCALL = Schema(
    "OnCall",
    record(
        {
            "at": {**TEXT, "description": "the moment asked about, UTC"},
            "local": _LOCAL_TIME,
            "timezone": {**TEXT, "description": "the rota's IANA time zone"},
            "team": {"type": ["string", "null"]},
            "oncall": {
                "type": "array",
                "items": record(
                    {
                        "person": TEXT,
                        "name": TEXT,
                        "team": TEXT,
                        "rotation": TEXT,
                        "shift": TEXT,
                        "starts_at": _LOCAL_TIME,
                        "ends_at": _LOCAL_TIME,
                        "note": TEXT,
                    }
                ),
            },
            "standby": {**TEXTS, "description": "the standby pool's free people"},
            "leads": {**TEXTS, "description": "the team's leads (with team only)"},
        },
        "Who is on shift at a moment.",
    ),
)


@routes.get("/api/v1/rota/oncall")
@requires(READ)
@describe(
    "rota.oncall",
    "Who is on shift (now or at a given time), and who of the standby pool is free",
    tags=["rota"],
    params=[
        query(
            "at", TEXT, "ISO 8601; without an offset, in the rota's time zone", "2026-03-09T17:00Z"
        ),
        query("team", TEXT, "one team of the rota (default: every team)"),
    ],
    responses={
        200: Answer("who is on", ONCALL),
        400: "at is not a time, or the team is unknown",
        404: "no rota is configured",
    },
)
async def oncall(request: web.Request) -> web.Response:
    rota = runtime(request).engine.services.rota
    if rota is None:
        return error_response(404, "no rota is configured: set `rota: config/rota.yaml`")
    at = datetime.now(UTC)
    when = one(request, "at")
    if when is not None:
        try:
            at = read_time(when, rota.zone)
        except ValueError as error:
            return error_response(400, f"at: {error}")
    try:
        return web.json_response(report(rota, at, one(request, "team")))
    except ValueError as error:
        return error_response(400, str(error))
