"""The JSON shapes several routes answer with (``surge.serialize`` makes them), as OpenAPI
schemas. A shape one route alone uses is declared in that route's module instead."""

from __future__ import annotations

from typing import Any

from surge.store.records import AuditOutcome, IncidentStatus, Phase, RunStatus
from surge.web.openapi import Schema

TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
MAYBE_TIME = {"type": ["string", "null"], "format": "date-time"}
TEXT = {"type": "string"}
OBJECT: dict[str, Any] = {"type": "object"}
TEXTS = {"type": "array", "items": TEXT}
MAX_ID = 10**18 - 1  # ids in paths have at most 18 digits (surge.web.params)
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def record(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An object that always has every listed property (and may gain more later)."""
    found: dict[str, Any] = {"type": "object", "required": list(properties)}
    if description:
        found["description"] = description
    found["properties"] = properties
    return found


INCIDENT = Schema(
    "Incident",
    record(
        {
            "id": ID,
            "playbook": TEXT,
            "title": TEXT,
            "severity": TEXT,
            "status": {"enum": [status.value for status in IncidentStatus]},
            "trigger": {**TEXT, "description": "what opened it: api, cli, alert, metric, …"},
            "triggered_by": {**TEXT, "description": "the token's name, or cli:USER"},
            "params": OBJECT,
            "labels": {**OBJECT, "description": "of the alert or series that opened it"},
            "annotations": OBJECT,
            "group_key": TEXT,
            "created_at": TIME,
            "updated_at": TIME,
            "resolved_at": MAYBE_TIME,
        },
        "One run of one playbook.",
    ),
)

STEP_RUN = Schema(
    "StepRun",
    record(
        {
            "id": ID,
            "phase": {"enum": [phase.value for phase in Phase]},
            "step": TEXT,
            "action": TEXT,
            "attempt": {"type": "integer", "minimum": 1},
            "status": {"enum": [status.value for status in RunStatus]},
            "due_at": TIME,
            "started_at": MAYBE_TIME,
            "finished_at": MAYBE_TIME,
            "args": {"type": ["object", "null"], "description": "rendered, secrets masked"},
            "result": {"type": ["object", "null"]},
            "error": {"type": ["string", "null"]},
        },
        "One attempt of one step.",
    ),
)

TIMELINE_ENTRY = Schema(
    "TimelineEntry",
    record(
        {
            "id": ID,
            "at": TIME,
            "actor": TEXT,
            "kind": {**TEXT, "description": "incident.opened, status, step.started, note, …"},
            "message": TEXT,
            "data": OBJECT,
        }
    ),
)

INCIDENT_DETAIL = Schema(
    "IncidentDetail",
    {
        "allOf": [
            INCIDENT,
            record(
                {
                    "steps": {"type": "array", "items": STEP_RUN},
                    "timeline": {"type": "array", "items": TIMELINE_ENTRY},
                }
            ),
        ]
    },
)

SILENCE = Schema(
    "Silence",
    record(
        {
            "id": ID,
            "matchers": TEXTS,
            "components": TEXTS,
            "starts_at": TIME,
            "ends_at": MAYBE_TIME,
            "windows": {"type": "array", "items": OBJECT},
            "timezone": TEXT,
            "comment": TEXT,
            "created_by": TEXT,
            "created_at": TIME,
            "expired_at": MAYBE_TIME,
            "state": {"enum": ["active", "scheduled", "expired"]},
        },
        "Matching alerts and metric triggers are recorded but start nothing.",
    ),
)

AUDIT_ENTRY = Schema(
    "AuditEntry",
    record(
        {
            "id": ID,
            "at": TIME,
            "actor": {**TEXT, "description": "the token's name, or cli:USER"},
            "role": {**TEXT, "description": "the token's role, or store (the CLI on the store)"},
            "origin": {**TEXT, "description": "client address (via proxies), or cli@HOST as USER"},
            "address": {**TEXT, "description": "the client's IP address; empty from the CLI"},
            "action": {**TEXT, "description": "thing.verb: incident.ack, silence.add, …"},
            "target": {**TEXT, "description": "kind:id: incident:7, token:ci-bot, …"},
            "outcome": {"enum": [outcome.value for outcome in AuditOutcome]},
            "detail": {**OBJECT, "description": "what changed; secrets masked"},
        },
        "One change someone made, or was denied.",
    ),
)
