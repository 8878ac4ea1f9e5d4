"""A local server speaking PagerDuty's Events API v2 (``POST /v2/enqueue``).

It checks events as PagerDuty documents them (a 32-character routing key, an
``event_action`` of trigger, acknowledge or resolve, a ``dedup_key`` for the last two,
and for a trigger a payload with ``summary``, ``source`` and a ``severity`` of critical,
error, warning or info) and answers like PagerDuty: 202 ``{"status": "success",
"message": "Event processed", "dedup_key": …}``, 400 ``{"status": "invalid event",
"message": "Event object is invalid", "errors": [...]}``, or 429 while ``throttle`` is set.
It keeps PagerDuty's side of each incident by dedup key.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")


@dataclass
class PagerDutyEvents:
    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)  # every valid one
    incidents: dict[str, str] = field(default_factory=dict)  # dedup key -> status
    throttle: bool = False

    async def enqueue(self, request: web.Request) -> web.Response:
        if self.throttle:
            return web.json_response(
                {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly. "
                    "Please retry later.",
                },
                status=429,
            )
        try:
            event = json.loads(await request.read())
        except ValueError:
            return _invalid(["Event object is not valid JSON"])
        errors = _problems(event)
        if errors:
            return _invalid(errors)
        key = event.get("dedup_key") or uuid.uuid4().hex
        self.events.append(event)
        action = event["event_action"]
        if action == "trigger":
            self.incidents.setdefault(key, "triggered")
        elif key in self.incidents and self.incidents[key] != "resolved":
            self.incidents[key] = "acknowledged" if action == "acknowledge" else "resolved"
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": key}, status=202
        )

    @classmethod
    async def serve(cls, aiohttp_server: Any) -> PagerDutyEvents:
        found = cls()
        app = web.Application()
        app.router.add_post("/v2/enqueue", found.enqueue)
        server = await aiohttp_server(app, host="127.0.0.1")
        found.url = str(server.make_url("/v2/enqueue"))
        return found


def _invalid(errors: list[str]) -> web.Response:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    return web.json_response(body, status=400)


def _problems(event: Any) -> list[str]:
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    errors = []
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        errors.append("'routing_key' must be a 32 character string")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is missing or blank")
    if action in ("acknowledge", "resolve") and not event.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve events")
    if action == "trigger":
        found = event.get("payload")
        payload: dict[str, Any] = found if isinstance(found, dict) else {}
        for name in ("summary", "source"):
            if not payload.get(name):
                errors.append(f"'payload.{name}' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' must be one of critical, error, warning, info")
        if len(str(payload.get("summary", ""))) > 1024:
            errors.append("'payload.summary' is longer than 1024 characters")
    return errors
