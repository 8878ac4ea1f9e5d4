"""The Alertmanager notifications every ingest target receives (webhook version 4)."""

from __future__ import annotations

import json
from typing import Any

STARTS_AT = "2026-11-25T10:00:00.000Z"


def notification(instance: str, starts_at: str = STARTS_AT) -> dict[str, Any]:
    """One firing alert in a notification shaped like Alertmanager's (about 1 KB)."""
    labels = {
        "alertname": "ChannelDown",
        "channel": "web-chat",
        "instance": instance,
        "job": "customer-service",
        "severity": "critical",
        "team": "cs-platform",
    }
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {
            "summary": f"web chat is failing on {instance}",
            "description": "More than 5% of chat sessions fail to start for 2 minutes; "
            "customers see a spinner and give up. Check the chat gateway and its database.",
            "runbook_url": "https://runbooks.example.com/cs/web-chat-down",
        },
        "startsAt": starts_at,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=chat_failures",
        "fingerprint": f"fp-{instance}",  # Alertmanager's is a hash of the labels
    }
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ChannelDown"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "surge",
        "groupLabels": {"alertname": "ChannelDown"},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example.com",
        "alerts": [alert],
    }


def body(instance: str) -> str:
    return json.dumps(notification(instance), separators=(",", ":"))
