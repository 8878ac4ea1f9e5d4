"""The read model of the public side: ``StatusView``, everything the status page, the
Statuspage-compatible JSON, the Atom feed, the banner and the static export show.

Built from one read of the store (``Store.status_rows``) by ``Notices.view(now, days)``.
Only public notices with a published version are in it, and only published versions.
``revision`` is the store's status revision read first: a cache built from a view is
current as long as ``Notices.revision()`` still returns it, on any replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from surge.notices.model import (
    Banner,
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Notice,
    NoticeKind,
    NoticeState,
    NoticeVersion,
    Severity,
    StatusRows,
    in_locale,
    worst,
)

# Statuspage's page indicator from the worst component status (an open incident's impact
# counts too, whichever is worse).
INDICATOR_OF = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
_INDICATOR_RANK = ("none", "maintenance", "minor", "major", "critical")
INDICATOR_LABELS = {
    "none": {"zh-CN": "所有服务运行正常", "zh-TW": "所有服務運作正常",
             "en": "All Systems Operational"},
    "maintenance": {"zh-CN": "服务维护中", "zh-TW": "服務維護中",
                    "en": "Service Under Maintenance"},
    "minor": {"zh-CN": "部分服务性能下降", "zh-TW": "部分服務效能下降",
              "en": "Minor Service Outage"},
    "major": {"zh-CN": "部分服务中断", "zh-TW": "部分服務中斷", "en": "Partial System Outage"},
    "critical": {"zh-CN": "服务严重中断", "zh-TW": "服務嚴重中斷", "en": "Major System Outage"},
}  # fmt: skip


@dataclass(frozen=True)
class ComponentView:
    component: Component
    status: ComponentStatus
    updated_at: datetime | None  # None: never set, operational since surge knows it

    @property
    def id(self) -> str:
        return self.component.id

    @property
    def group(self) -> ComponentGroup | None:
        return self.component.group


@dataclass(frozen=True)
class NoticeView:
    """A public notice and its published versions, newest first (as Statuspage lists
    an incident's updates)."""

    notice: Notice
    versions: tuple[NoticeVersion, ...]

    @property
    def latest(self) -> NoticeVersion:
        return self.versions[0]


@dataclass(frozen=True)
class BannerView:
    id: int
    text: dict[str, str]  # per locale
    severity: Severity
    link: str
    expires_at: datetime | None
    shown_at: datetime

    def in_locale(self, locale: str) -> str:
        return in_locale(self.text, locale)


@dataclass(frozen=True)
class StatusView:
    revision: int
    generated_at: datetime
    days: int  # how many days of resolved notices ``resolved`` holds
    components: tuple[ComponentView, ...]  # in config order
    groups: tuple[ComponentGroup, ...]  # in the order their first component comes
    incidents: tuple[NoticeView, ...]  # open incidents, newest first
    upcoming: tuple[NoticeView, ...]  # maintenance scheduled to start later, soonest first
    active_maintenance: tuple[NoticeView, ...]  # maintenance in its window or under way
    resolved: tuple[NoticeView, ...]  # closed in the last ``days`` days, newest first
    banner: BannerView | None

    @property
    def indicator(self) -> str:
        """Statuspage's ``status.indicator``: none, maintenance, minor, major, critical."""
        found = [INDICATOR_OF[worst(item.status for item in self.components)]]
        found += [_impact_indicator(item.notice.impact) for item in self.incidents]
        return max(found, key=_INDICATOR_RANK.index)

    def description(self, locale: str) -> str:
        return in_locale(INDICATOR_LABELS[self.indicator], locale)

    def in_group(self, group: ComponentGroup | None) -> tuple[ComponentView, ...]:
        return tuple(item for item in self.components if item.group == group)

    @property
    def notices(self) -> tuple[NoticeView, ...]:
        """Every notice in the view, newest first (for feeds)."""
        every = {
            item.notice.id: item
            for item in (*self.incidents, *self.upcoming, *self.active_maintenance, *self.resolved)
        }
        return tuple(sorted(every.values(), key=lambda item: item.notice.id, reverse=True))


def _impact_indicator(impact: Impact) -> str:
    return "none" if impact is Impact.NONE else impact.value


def build_view(
    rows: StatusRows, components: tuple[Component, ...], now: datetime, days: int
) -> StatusView:
    shown = tuple(
        ComponentView(
            component,
            state.status if (state := rows.components.get(component.id)) else
            ComponentStatus.OPERATIONAL,
            state.updated_at if state else None,
        )
        for component in components
    )  # fmt: skip
    groups: dict[str, ComponentGroup] = {}
    for component in components:
        if component.group is not None:
            groups.setdefault(component.group.id, component.group)
    views = [
        NoticeView(notice, tuple(reversed(rows.versions.get(notice.id, ()))))
        for notice in rows.notices
    ]
    views = [item for item in views if item.versions]
    return StatusView(
        revision=rows.revision,
        generated_at=now,
        days=days,
        components=shown,
        groups=tuple(groups.values()),
        incidents=tuple(_open(views, NoticeKind.INCIDENT)),
        upcoming=tuple(
            sorted(
                (item for item in _open(views, NoticeKind.MAINTENANCE) if _upcoming(item, now)),
                key=lambda item: item.notice.window_start or now,
            )
        ),
        active_maintenance=tuple(
            item for item in _open(views, NoticeKind.MAINTENANCE) if not _upcoming(item, now)
        ),
        resolved=tuple(item for item in views if not item.notice.is_open),
        banner=_banner(rows.banners),
    )


def _open(views: list[NoticeView], kind: NoticeKind) -> list[NoticeView]:
    return [item for item in views if item.notice.kind is kind and item.notice.is_open]


def _upcoming(item: NoticeView, now: datetime) -> bool:
    start = item.notice.window_start
    return item.notice.state is NoticeState.SCHEDULED and (start is None or start > now)


def _banner(banners: tuple[Banner, ...]) -> BannerView | None:
    if not banners:
        return None
    newest = banners[0]
    return BannerView(
        newest.id,
        dict(newest.text),
        newest.severity,
        newest.link,
        newest.expires_at,
        newest.shown_at,
    )
