"""Status views made by hand for the renderers' tests: built by the notices' own
``build_view`` from rows as the store returns them, so only the store is left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from surge.notices.model import (
    Audience,
    Banner,
    Component,
    ComponentGroup,
    ComponentState,
    ComponentStatus,
    Impact,
    Notice,
    NoticeKind,
    NoticeState,
    NoticeVersion,
    Severity,
    StatusRows,
    VersionStatus,
)
from surge.notices.view import StatusView, build_view
from surge.statuspage.settings import StatusPageSettings
from surge.statuspage.site import Site

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CHANNELS = ComponentGroup(
    "service-channels", {"zh-CN": "服务渠道", "zh-TW": "服務渠道", "en": "Service channels"}
)
APPS = ComponentGroup("apps", {"zh-CN": "应用", "zh-TW": "應用", "en": "Apps"})
COMPONENTS = (
    Component("web-chat", {"zh-CN": "在线客服", "zh-TW": "線上客服", "en": "Web chat"}, CHANNELS),
    Component("hotline", {"zh-CN": "客服热线", "zh-TW": "客服熱線", "en": "Hotline"}, CHANNELS, {},
              1),
    Component("app", {"zh-CN": "手机应用", "zh-TW": "手機應用", "en": "Mobile app"}, APPS, {}, 2),
    Component("email", {"zh-CN": "电子邮件", "zh-TW": "電子郵件", "en": "E-mail"}, None, {}, 3),
)  # fmt: skip
SITE = Site.of("https://status.example.com/", StatusPageSettings(time_zone="Asia/Shanghai"))


def texts(zh_cn: str, zh_tw: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh_cn, "zh-TW": zh_tw, "en": en}


def version(
    notice_id: int,
    number: int,
    state: NoticeState,
    at: datetime,
    body: dict[str, str],
    components: dict[str, ComponentStatus],
    title: dict[str, str],
) -> NoticeVersion:
    return NoticeVersion(
        notice_id=notice_id,
        number=number,
        state=state,
        impact=Impact.CRITICAL,
        components=components,
        script_id="outage-initial",
        content_hash="0" * 64,
        vars={},
        title=title,
        body=body,
        author="comms-lead",
        at=at,
        status=VersionStatus.PUBLISHED,
        published_by="comms-lead",
        published_at=at,
    )


def notice(
    notice_id: int,
    kind: NoticeKind,
    state: NoticeState,
    components: dict[str, ComponentStatus],
    title: dict[str, str],
    created: datetime,
    updated: datetime,
    **more: object,
) -> Notice:
    return Notice(
        id=notice_id,
        kind=kind,
        audience=Audience.PUBLIC,
        impact=Impact.CRITICAL if kind is NoticeKind.INCIDENT else Impact.NONE,
        state=state,
        components=components,
        created_at=created,
        updated_at=updated,
        created_by="comms-lead",
        title=title,
        published_at=created,
        **more,  # type: ignore[arg-type]
    )


def sample_rows(*, hostile: str = HOSTILE, banner: bool = True) -> StatusRows:
    """An open incident (two versions, one with ``hostile`` text), a resolved one from two
    days ago, an upcoming maintenance window, and a banner."""
    chat_down = {"web-chat": ComponentStatus.MAJOR_OUTAGE}
    title = texts("在线客服：严重中断", "線上客服：嚴重中斷", "Web chat: Major outage")
    started = NOW - timedelta(minutes=40)
    identified = NOW - timedelta(minutes=10)
    open_versions = (
        version(3, 1, NoticeState.INVESTIGATING, started,
                texts("在线客服无法发起会话，预计15:30恢复。", "線上客服無法發起會話。",
                      "Web chat cannot start conversations."), chat_down, title),
        version(3, 2, NoticeState.IDENTIFIED, identified,
                texts(f"已找到原因 {hostile}", f"已找到原因 {hostile}", f"Cause found {hostile}"),
                {"web-chat": ComponentStatus.PARTIAL_OUTAGE}, title),
    )  # fmt: skip
    old_start = NOW - timedelta(days=2, hours=3)
    old_end = NOW - timedelta(days=2, hours=1)
    hotline_title = texts("客服热线：部分中断", "客服熱線：部分中斷", "Hotline: Partial outage")
    old_versions = (
        version(1, 1, NoticeState.INVESTIGATING, old_start,
                texts("热线繁忙。", "熱線繁忙。", "The hotline is busy."),
                {"hotline": ComponentStatus.PARTIAL_OUTAGE}, hotline_title),
        version(1, 2, NoticeState.MONITORING, old_start + timedelta(hours=1),
                texts("已修复，观察中。", "已修復，觀察中。", "Fixed, monitoring."), {},
                hotline_title),
        version(1, 3, NoticeState.RESOLVED, old_end,
                texts("已恢复。", "已恢復。", "Resolved."),
                {"hotline": ComponentStatus.OPERATIONAL}, hotline_title),
    )  # fmt: skip
    window = (NOW + timedelta(days=2), NOW + timedelta(days=2, hours=2))
    maintenance_title = texts("手机应用维护", "手機應用維護", "Mobile app maintenance")
    planned = {"app": ComponentStatus.UNDER_MAINTENANCE}
    maintenance_versions = (
        version(4, 1, NoticeState.SCHEDULED, NOW - timedelta(hours=5),
                texts("计划维护，请使用网页版。", "計劃維護，請使用網頁版。",
                      "Planned maintenance; use the website."), planned, maintenance_title),
    )  # fmt: skip
    notices = (
        notice(4, NoticeKind.MAINTENANCE, NoticeState.SCHEDULED, planned, maintenance_title,
               NOW - timedelta(hours=5), NOW - timedelta(hours=5),
               window_start=window[0], window_end=window[1]),
        notice(3, NoticeKind.INCIDENT, NoticeState.IDENTIFIED,
               {"web-chat": ComponentStatus.PARTIAL_OUTAGE}, title, started, identified),
        notice(1, NoticeKind.INCIDENT, NoticeState.RESOLVED,
               {"hotline": ComponentStatus.OPERATIONAL}, hotline_title, old_start, old_end,
               resolved_at=old_end),
    )  # fmt: skip
    banners: tuple[Banner, ...] = ()
    if banner:
        banners = (
            Banner(7, "peak-banner", "0" * 64, {},
                   texts(f"高峰期请稍后再试 {hostile}", "高峰期請稍後再試",
                         "Busy: please come back later"),
                   Severity.WARNING, "https://help.example.com/", "comms-lead",
                   NOW - timedelta(minutes=5), expires_at=NOW + timedelta(hours=1)),
        )  # fmt: skip
    return StatusRows(
        revision=12,
        components={
            "web-chat": ComponentState("web-chat", ComponentStatus.PARTIAL_OUTAGE, identified),
            "hotline": ComponentState("hotline", ComponentStatus.OPERATIONAL, old_end),
        },
        notices=notices,
        versions={3: open_versions, 1: old_versions, 4: maintenance_versions},
        banners=banners,
    )


def sample_view(*, hostile: str = HOSTILE, banner: bool = True) -> StatusView:
    return build_view(sample_rows(hostile=hostile, banner=banner), COMPONENTS, NOW, 14)


def quiet_view() -> StatusView:
    """Nothing published: every component operational, no banner."""
    rows = StatusRows(revision=1, components={}, notices=(), versions={}, banners=())
    return build_view(rows, COMPONENTS, NOW, 14)
