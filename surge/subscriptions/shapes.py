"""Subscribers and deliveries as JSON: one shape for the HTTP API and the CLI's ``--json``.

Neither shape holds a secret: no webhook signing secret, no link key, and a webhook's URL
only as scheme and host (its path is often a secret of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from surge.subscriptions.records import Attempt, Delivery, Subscriber, SubscriberKind
from surge.subscriptions.send import shown_url


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def address(record: Subscriber) -> str:
    return record.address if record.kind is SubscriberKind.EMAIL else shown_url(record.address)


def subscriber(record: Subscriber) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind.value,
        "address": address(record),
        "state": record.state.value,
        "components": list(record.components),
        "locale": record.locale,
        "created_at": _time(record.created_at),
        "confirmed_at": _time(record.confirmed_at),
        "unsubscribed_at": _time(record.unsubscribed_at),
    }


def delivery(
    record: Delivery, attempts: Sequence[Attempt], to: Subscriber | None
) -> dict[str, Any]:
    return {
        "id": record.id,
        "subscriber": record.subscriber_id,
        "address": address(to) if to else "",
        "channel": record.channel.value,
        "purpose": record.purpose.value,
        "state": record.state.value,
        "attempts": [
            {
                "attempt": item.attempt,
                "status": item.status,
                "started_at": _time(item.started_at),
                "finished_at": _time(item.finished_at),
                "error": item.error,
            }
            for item in attempts
        ],
        "due_at": _time(record.due_at),
        "sent_at": _time(record.sent_at),
        "error": record.error,
        "ref": record.ref,
    }
