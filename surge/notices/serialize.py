"""Notices, versions and components as JSON: the API's shapes, which ``--json`` prints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from surge.notices.model import (
    Banner,
    Component,
    ComponentGroup,
    ComponentState,
    Notice,
    NoticeVersion,
)

Json = dict[str, Any]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def notice(item: Notice) -> Json:
    window = None
    if item.window_start is not None or item.window_end is not None:
        window = {"starts_at": _time(item.window_start), "ends_at": _time(item.window_end)}
    return {
        "id": item.id,
        "kind": item.kind.value,
        "audience": item.audience.value,
        "impact": item.impact.value,
        "state": item.state.value,
        "components": {name: status.value for name, status in item.components.items()},
        "incident": item.incident_id,
        "title": dict(item.title),
        "window": window,
        "created_by": item.created_by,
        "created_at": _time(item.created_at),
        "updated_at": _time(item.updated_at),
        "published_at": _time(item.published_at),
        "resolved_at": _time(item.resolved_at),
    }


def version(item: NoticeVersion) -> Json:
    return {
        "notice": item.notice_id,
        "number": item.number,
        "status": item.status.value,
        "state": item.state.value,
        "impact": item.impact.value,
        "components": {name: status.value for name, status in item.components.items()},
        "script": item.script_id,
        "content_hash": item.content_hash,
        "vars": dict(item.vars),
        "title": dict(item.title),
        "body": dict(item.body),
        "author": item.author,
        "at": _time(item.at),
        "published_by": item.published_by,
        "published_at": _time(item.published_at),
    }


def group(item: ComponentGroup | None) -> Json | None:
    return {"id": item.id, "name": dict(item.name)} if item is not None else None


def component(item: Component, state: ComponentState) -> Json:
    return {
        "id": item.id,
        "name": dict(item.name),
        "group": group(item.group),
        "description": dict(item.description),
        "status": state.status.value,
        "updated_at": _time(state.updated_at),
        "updated_by": state.updated_by,
    }


def banner(item: Banner) -> Json:
    return {
        "id": item.id,
        "script": item.script_id,
        "text": dict(item.text),
        "severity": item.severity.value,
        "link": item.link,
        "shown_by": item.shown_by,
        "shown_at": _time(item.shown_at),
        "expires_at": _time(item.expires_at),
        "cleared_by": item.cleared_by,
        "cleared_at": _time(item.cleared_at),
        "incident": item.incident_id,
    }
