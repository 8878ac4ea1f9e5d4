"""Statuspage's public API (``/api/v2/*.json``) from a ``StatusView``: the same files, the
same field names and shapes, so widgets and monitors that read Statuspage read surge.

Atlassian documents the files at ``https://<page>/api`` (for example
https://www.githubstatus.com/api): summary, status, components, incidents, unresolved
incidents and scheduled maintenances. Texts are in one locale per file (the page's own,
or ``?lang=``), ids are strings, times are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from surge.notices.model import (
    ComponentGroup,
    ComponentStatus,
    NoticeKind,
    NoticeState,
    NoticeVersion,
    in_locale,
    worst,
)
from surge.notices.view import ComponentView, NoticeView, StatusView
from surge.statuspage.site import EPOCH, Site, stamp

Json = dict[str, Any]
MOST_RECENT = 50  # incidents.json and scheduled-maintenances.json list this many


def page(view: StatusView, site: Site, locale: str) -> Json:
    return {
        "id": site.page_id,
        "name": site.name(locale),
        "url": site.url,
        "time_zone": site.settings.time_zone,
        "updated_at": stamp(updated_at(view)),
    }


def updated_at(view: StatusView) -> Any:
    """The last change the view shows (never the time it was read: replicas agree)."""
    times = [item.updated_at for item in view.components if item.updated_at is not None]
    times += [item.notice.updated_at for item in view.notices]
    if view.banner is not None:
        times.append(view.banner.shown_at)
    return max(times, default=EPOCH)


def status(view: StatusView, locale: str) -> Json:
    return {"indicator": view.indicator, "description": view.description(locale)}


def components(view: StatusView, site: Site, locale: str) -> list[Json]:
    """Every component in config order, each group listed (``group: true``, with its
    members' ids) where its first member comes, as Statuspage lists them."""
    return list(_components(view, site, locale))


def _components(view: StatusView, site: Site, locale: str) -> Iterator[Json]:
    seen: set[str] = set()
    top = 0
    inner: dict[str, int] = {}
    for item in view.components:
        group = item.group
        if group is None:
            top += 1
            yield component(item, site, locale, top)
            continue
        if group.id not in seen:
            seen.add(group.id)
            top += 1
            yield _group(view, group, site, locale, top)
        inner[group.id] = inner.get(group.id, 0) + 1
        yield component(item, site, locale, inner[group.id])


def component(item: ComponentView, site: Site, locale: str, position: int) -> Json:
    changed = stamp(item.updated_at or EPOCH)
    return {
        "id": item.id,
        "name": in_locale(item.component.name, locale),
        "status": item.status.value,
        "created_at": stamp(EPOCH),
        "updated_at": changed,
        "position": position,
        "description": in_locale(item.component.description, locale) or None,
        "showcase": True,
        "start_date": None,
        "group_id": item.group.id if item.group else None,
        "page_id": site.page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _group(view: StatusView, group: ComponentGroup, site: Site, locale: str, position: int) -> Json:
    members = view.in_group(group)
    times = [item.updated_at for item in members if item.updated_at is not None]
    return {
        "id": group.id,
        "name": in_locale(group.name, locale),
        "status": worst(item.status for item in members).value,
        "created_at": stamp(EPOCH),
        "updated_at": stamp(max(times, default=EPOCH)),
        "position": position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": site.page_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [item.id for item in members],
    }


def incident(item: NoticeView, view: StatusView, site: Site, locale: str) -> Json:
    """One notice as Statuspage writes an incident (or a scheduled maintenance)."""
    notice = item.notice
    known = {entry.id: entry for entry in view.components}
    started = notice.published_at or notice.created_at
    found: Json = {
        "id": str(notice.id),
        "name": in_locale(notice.title, locale),
        "status": notice.state.value,
        "created_at": stamp(started),
        "updated_at": stamp(notice.updated_at),
        "monitoring_at": stamp(_first(item, NoticeState.MONITORING)),
        "resolved_at": stamp(notice.resolved_at),
        "impact": notice.impact.value,
        "shortlink": site.link(f"status#notice-{notice.id}"),
        "started_at": stamp(started),
        "page_id": site.page_id,
        "incident_updates": list(_updates(item, known, locale)),
        "components": [
            component(known[name], site, locale, position)
            for position, name in enumerate(notice.components, 1)
            if name in known
        ],
    }
    if notice.kind is NoticeKind.MAINTENANCE:
        found["scheduled_for"] = stamp(notice.window_start)
        found["scheduled_until"] = stamp(notice.window_end)
    return found


def _first(item: NoticeView, state: NoticeState) -> Any:
    times = [v.published_at for v in item.versions if v.state is state and v.published_at]
    return min(times, default=None)


def _updates(item: NoticeView, known: Mapping[str, ComponentView], locale: str) -> Iterator[Json]:
    versions = item.versions  # newest first
    for index, version in enumerate(versions):
        before = versions[index + 1].components if index + 1 < len(versions) else {}
        at = stamp(version.published_at or version.at)
        yield {
            "id": f"{version.notice_id}-{version.number}",
            "status": version.state.value,
            "body": in_locale(version.body, locale),
            "incident_id": str(version.notice_id),
            "created_at": at,
            "updated_at": at,
            "display_at": at,
            "affected_components": _affected(version, before, known, locale),
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }


def _affected(
    version: NoticeVersion,
    before: Mapping[str, ComponentStatus],
    known: Mapping[str, ComponentView],
    locale: str,
) -> list[Json] | None:
    found = [
        {
            "code": name,
            "name": in_locale(known[name].component.name, locale) if name in known else name,
            "old_status": before.get(name, ComponentStatus.OPERATIONAL).value,
            "new_status": new.value,
        }
        for name, new in version.components.items()
    ]
    return found or None


def _incidents(view: StatusView) -> list[NoticeView]:
    return [item for item in view.notices if item.notice.kind is NoticeKind.INCIDENT]


def _maintenances(view: StatusView) -> list[NoticeView]:
    return [item for item in view.notices if item.notice.kind is NoticeKind.MAINTENANCE]


def summary_json(view: StatusView, site: Site, locale: str) -> Json:
    return {
        "page": page(view, site, locale),
        "status": status(view, locale),
        "components": components(view, site, locale),
        "incidents": [incident(item, view, site, locale) for item in view.incidents],
        "scheduled_maintenances": [
            incident(item, view, site, locale)
            for item in (*view.active_maintenance, *view.upcoming)
        ],
    }


def status_json(view: StatusView, site: Site, locale: str) -> Json:
    return {"page": page(view, site, locale), "status": status(view, locale)}


def components_json(view: StatusView, site: Site, locale: str) -> Json:
    return {"page": page(view, site, locale), "components": components(view, site, locale)}


def incidents_json(view: StatusView, site: Site, locale: str) -> Json:
    shown = _incidents(view)[:MOST_RECENT]
    return {
        "page": page(view, site, locale),
        "incidents": [incident(item, view, site, locale) for item in shown],
    }


def unresolved_json(view: StatusView, site: Site, locale: str) -> Json:
    return {
        "page": page(view, site, locale),
        "incidents": [incident(item, view, site, locale) for item in view.incidents],
    }


def maintenances_json(view: StatusView, site: Site, locale: str) -> Json:
    shown = _maintenances(view)[:MOST_RECENT]
    return {
        "page": page(view, site, locale),
        "scheduled_maintenances": [incident(item, view, site, locale) for item in shown],
    }


# path in the tree -> what renders it
FILES = {
    "api/v2/summary.json": summary_json,
    "api/v2/status.json": status_json,
    "api/v2/components.json": components_json,
    "api/v2/incidents.json": incidents_json,
    "api/v2/incidents/unresolved.json": unresolved_json,
    "api/v2/scheduled-maintenances.json": maintenances_json,
}
