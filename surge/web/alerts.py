"""``POST /api/v1/alerts/alertmanager``: Alertmanager's webhook receiver."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from surge.audit.changes import Change
from surge.roles import SEND_ALERTS
from surge.triggers.alerts import MAX_ALERTS, PayloadError, parse_payload
from surge.web.audit import audit
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import INTAKE, principal
from surge.web.openapi import Answer, Body, describe
from surge.web.schemas import TEXT, TEXTS, record

routes = web.RouteTableDef()
CHANGED = ("opened", "joined", "cleared")  # outcomes that changed an incident: audited
LABELS = {"type": "object", "additionalProperties": TEXT}
NOTIFICATION = {
    "type": "object",
    "description": "Alertmanager's webhook notification, payload version 4; its other "
    "fields (status, groupKey, receiver, commonLabels, …) are accepted and not used",
    "required": ["version", "alerts"],
    "properties": {
        "version": {"const": "4"},
        "alerts": {
            "type": "array",
            "maxItems": MAX_ALERTS,
            "items": {
                "type": "object",
                "required": ["status", "labels"],
                "properties": {
                    "status": {"enum": ["firing", "resolved"]},
                    "labels": {**LABELS, "minProperties": 1},
                    "annotations": LABELS,
                    "startsAt": {**TEXT, "description": "RFC 3339"},
                    "endsAt": TEXT,
                    "fingerprint": TEXT,
                },
            },
        },
    },
}
OUTCOME = record(
    {
        "fingerprint": TEXT,
        "alert": TEXT,
        "playbook": TEXT,
        "outcome": {
            "enum": [
                "opened",
                "joined",
                "duplicate",
                "silenced",
                "cooldown",
                "capped",
                "invalid",
                "cleared",
                "not-open",
            ]
        },
        "incident": {"type": ["integer", "null"]},
        "problems": TEXTS,
    }
)


@routes.post("/api/v1/alerts/alertmanager")
@requires(SEND_ALERTS)
@describe(
    "alerts.alertmanager",
    "Alertmanager's webhook: each alert is matched against every playbook's alert triggers",
    tags=["alerts"],
    body=Body(
        NOTIFICATION,
        "the notification",
        required=True,
        example={
            "version": "4",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "ChannelDown", "channel": "web"},
                    "annotations": {},
                    "startsAt": "2026-11-25T08:00:00Z",
                    "fingerprint": "8c1e2f",
                }
            ],
        },
    ),
    responses={
        200: Answer(
            "what became of each alert, for each playbook it matched",
            record({"alerts": {"type": "integer"}, "results": {"type": "array", "items": OUTCOME}}),
        ),
        400: "the body is not a version-4 notification, or has more than 1000 alerts",
    },
)
async def alertmanager(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        alerts = parse_payload(body)
    except PayloadError as error:  # its text may quote the sender's keys: a body, not a reason
        return error_response(400, str(error))
    outcomes = await request.app[INTAKE].receive(alerts, principal(request).name)
    results = [asdict(outcome) for outcome in outcomes]
    # one entry per incident the alerts changed; repeats and duplicates change nothing
    changed: dict[int, list[dict[str, object]]] = {}
    for item in results:
        if item["outcome"] in CHANGED and item["incident"]:
            changed.setdefault(item["incident"], []).append(item)
    for incident, items in sorted(changed.items()):
        await audit(request, Change("alerts.receive", f"incident:{incident}", {"alerts": items}))
    return web.json_response({"alerts": len(alerts), "results": results})
