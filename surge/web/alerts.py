"""``POST /api/v1/alerts/alertmanager``: Alertmanager's webhook receiver."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from surge.triggers.alerts import PayloadError, parse_payload
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import INTAKE, principal

routes = web.RouteTableDef()


@routes.post("/api/v1/alerts/alertmanager")
@requires("alert-source")
async def alertmanager(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        alerts = parse_payload(body)
    except PayloadError as error:  # its text may quote the sender's keys: a body, not a reason
        return error_response(400, str(error))
    outcomes = await request.app[INTAKE].receive(alerts, principal(request).name)
    return web.json_response(
        {"alerts": len(alerts), "results": [asdict(outcome) for outcome in outcomes]}
    )
