"""What publishing a version does to its notice and to the components (pure functions; the
store calls them inside the publishing transaction, so both backends agree)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from surge.notices.model import (
    Audience,
    ComponentStatus,
    Notice,
    NoticeVersion,
    VersionStatus,
    worst,
)


def published_notice(notice: Notice, version: NoticeVersion, at: datetime) -> Notice:
    """The notice once ``version`` is its current one: its state, impact and title, and
    its components merged into the notice's (a version lists those it changes)."""
    components = {**notice.components, **version.components}
    closed = not version.state.is_open
    return replace(
        notice,
        state=version.state,
        impact=version.impact,
        components=components,
        title=dict(version.title) or dict(notice.title),
        updated_at=at,
        published_at=notice.published_at or at,
        resolved_at=(notice.resolved_at or at) if closed else None,
    )


def published_version(version: NoticeVersion, by: str, at: datetime) -> NoticeVersion:
    return replace(version, status=VersionStatus.PUBLISHED, published_by=by, published_at=at)


def shows_components(notice: Notice) -> bool:
    """Whether the notice sets the components' public status: public, shown, not closed."""
    return notice.audience is Audience.PUBLIC and notice.is_published and notice.is_open


def component_statuses(
    affected: Iterable[str], open_notices: Iterable[Mapping[str, ComponentStatus]]
) -> dict[str, ComponentStatus]:
    """Each affected component's status: the worst that an open public notice gives it,
    operational when none lists it any more."""
    listed = list(open_notices)
    return {
        component: worst(item[component] for item in listed if component in item)
        for component in affected
    }
