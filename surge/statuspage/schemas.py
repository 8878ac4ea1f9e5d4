"""The public files' shapes as OpenAPI schemas (Statuspage's, as ``surge.statuspage.api``
writes them), for ``/openapi.json`` and the fuzzing that checks answers against it."""

from __future__ import annotations

from typing import Any

from surge.notices.model import ComponentStatus, Impact, NoticeState, Severity
from surge.web.openapi import Schema
from surge.web.schemas import TEXT, TIME, record

MAYBE_TIME = {"type": ["string", "null"], "format": "date-time"}
MAYBE_TEXT = {"type": ["string", "null"]}
BOOLEAN = {"type": "boolean"}
STATUSES = {"enum": [status.value for status in ComponentStatus]}
INDICATORS = ["none", "maintenance", "minor", "major", "critical"]

PAGE = Schema(
    "StatuspagePage",
    record(
        {"id": TEXT, "name": TEXT, "url": TEXT, "time_zone": TEXT, "updated_at": TIME},
        "The page itself (Statuspage's `page`).",
    ),
)
STATUS = Schema(
    "StatuspageStatus",
    record(
        {"indicator": {"enum": INDICATORS}, "description": TEXT},
        "The page's overall status: the worst component status or open incident impact.",
    ),
)
_COMPONENT_FIELDS: dict[str, Any] = {
    "id": TEXT,
    "name": TEXT,
    "status": STATUSES,
    "created_at": TIME,
    "updated_at": TIME,
    "position": {"type": "integer", "minimum": 1},
    "description": MAYBE_TEXT,
    "showcase": BOOLEAN,
    "start_date": MAYBE_TEXT,
    "group_id": MAYBE_TEXT,
    "page_id": TEXT,
    "group": BOOLEAN,
    "only_show_if_degraded": BOOLEAN,
}
COMPONENT = Schema(
    "StatuspageComponent",
    {
        **record(_COMPONENT_FIELDS, "A component, or a group of them (`group: true`)."),
        "properties": {
            **_COMPONENT_FIELDS,
            "components": {
                "type": "array",
                "items": TEXT,
                "description": "a group's members' ids",
            },
        },
    },
)
AFFECTED = record(
    {"code": TEXT, "name": TEXT, "old_status": STATUSES, "new_status": STATUSES},
    "A component a version changed.",
)
UPDATE = Schema(
    "StatuspageIncidentUpdate",
    record(
        {
            "id": TEXT,
            "status": {"enum": [state.value for state in NoticeState]},
            "body": TEXT,
            "incident_id": TEXT,
            "created_at": TIME,
            "updated_at": TIME,
            "display_at": TIME,
            "affected_components": {"type": ["array", "null"], "items": AFFECTED},
            "deliver_notifications": BOOLEAN,
            "custom_tweet": MAYBE_TEXT,
            "tweet_id": MAYBE_TEXT,
        },
        "One published version of a notice.",
    ),
)
_INCIDENT_FIELDS: dict[str, Any] = {
    "id": TEXT,
    "name": TEXT,
    "status": {"enum": [state.value for state in NoticeState]},
    "created_at": TIME,
    "updated_at": TIME,
    "monitoring_at": MAYBE_TIME,
    "resolved_at": MAYBE_TIME,
    "impact": {"enum": [impact.value for impact in Impact]},
    "shortlink": TEXT,
    "started_at": TIME,
    "page_id": TEXT,
    "incident_updates": {"type": "array", "items": UPDATE},
    "components": {"type": "array", "items": COMPONENT},
}
INCIDENT = Schema("StatuspageIncident", record(_INCIDENT_FIELDS, "A public incident notice."))
MAINTENANCE = Schema(
    "StatuspageScheduledMaintenance",
    record(
        {**_INCIDENT_FIELDS, "scheduled_for": MAYBE_TIME, "scheduled_until": MAYBE_TIME},
        "A public scheduled maintenance notice.",
    ),
)


def listing(name: str, key: str, item: Schema | dict[str, Any], description: str) -> Schema:
    return Schema(name, record({"page": PAGE, key: {"type": "array", "items": item}}, description))


SUMMARY = Schema(
    "StatuspageSummary",
    record(
        {
            "page": PAGE,
            "status": STATUS,
            "components": {"type": "array", "items": COMPONENT},
            "incidents": {"type": "array", "items": INCIDENT},
            "scheduled_maintenances": {"type": "array", "items": MAINTENANCE},
        },
        "Statuspage's summary: status, components, unresolved incidents, upcoming and "
        "in-progress maintenance.",
    ),
)
STATUS_FILE = Schema("StatuspageStatusFile", record({"page": PAGE, "status": STATUS}))
COMPONENTS_FILE = listing("StatuspageComponents", "components", COMPONENT, "Every component.")
INCIDENTS_FILE = listing("StatuspageIncidents", "incidents", INCIDENT, "Incidents.")
MAINTENANCES_FILE = listing(
    "StatuspageScheduledMaintenances",
    "scheduled_maintenances",
    MAINTENANCE,
    "Scheduled maintenance, newest first.",
)
BANNER_FILE = Schema(
    "Banner",
    record(
        {
            "page": PAGE,
            "banner": {
                "oneOf": [
                    {"type": "null"},
                    record(
                        {
                            "id": TEXT,
                            "severity": {"enum": [item.value for item in Severity]},
                            "text": {
                                "type": "object",
                                "additionalProperties": TEXT,
                                "description": "per locale: zh-CN, zh-TW, en",
                            },
                            "link": MAYBE_TEXT,
                            "starts_at": TIME,
                            "expires_at": MAYBE_TIME,
                            "updated_at": TIME,
                        }
                    ),
                ],
                "description": "the active banner, or null",
            },
        },
        "The banner a website or app shows (banner.js reads this).",
    ),
)
