"""``Notices.view``: what the public side shows, read at one status revision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from notices.conftest import OUTAGE, RESOLVED

from surge.notices.model import Audience, ComponentStatus, NoticeKind, NoticeState, Severity
from surge.notices.service import Draft, NoticeError

MAINTENANCE = {"service": "手机应用", "window": "3月3日02:00–04:00", "alternative": "使用网页版"}


def outage(**changes):
    fields: dict[str, Any] = dict(
        script="outage-initial", vars=OUTAGE, components={"web-chat": ComponentStatus.MAJOR_OUTAGE}
    )
    fields.update(changes)
    return Draft(**fields)


async def test_the_view_has_components_open_incidents_maintenance_and_history(notices):
    now = notices.engine.clock()
    old = await notices.publish_new(outage(), author="a")
    await notices.resolve(old.notice.id, Draft("outage-resolved", RESOLVED), author="a")
    current = await notices.publish_new(outage(), author="a")
    await notices.publish_new(
        outage(state=NoticeState.IDENTIFIED), author="b", notice_id=current.notice.id
    )
    await notices.publish_new(outage(audience=Audience.AGENTS), author="a")  # not public
    await notices.draft(outage(), author="a")  # not published
    planned = Draft(
        "maintenance-planned", MAINTENANCE, kind=NoticeKind.MAINTENANCE,
        window_start=now + timedelta(days=2), window_end=now + timedelta(days=2, hours=2),
        components={"app": ComponentStatus.UNDER_MAINTENANCE},
    )  # fmt: skip
    upcoming = await notices.publish_new(planned, author="ops")
    view = await notices.view()

    assert view.revision == await notices.revision() > 0
    assert [item.id for item in view.components] == ["web-chat", "hotline", "app", "email"]
    assert [group.name["en"] for group in view.groups] == ["Service channels", "Apps"]
    assert [item.id for item in view.in_group(view.groups[1])] == ["app"]
    assert [item.notice.id for item in view.incidents] == [current.notice.id]
    assert [v.number for v in view.incidents[0].versions] == [2, 1]  # newest first
    assert view.incidents[0].latest.state is NoticeState.IDENTIFIED
    assert [item.notice.id for item in view.upcoming] == [upcoming.notice.id]
    assert view.active_maintenance == ()
    assert [item.notice.id for item in view.resolved] == [old.notice.id]
    assert view.indicator == "critical" and view.description("zh-CN") == "服务严重中断"
    assert {item.notice.id for item in view.notices} == {
        old.notice.id, current.notice.id, upcoming.notice.id,
    }  # fmt: skip
    later = await notices.view(now + timedelta(days=20))
    assert later.resolved == ()  # older than 14 days
    during = await notices.view(now + timedelta(days=2, minutes=1))
    assert [item.notice.id for item in during.active_maintenance] == [upcoming.notice.id]


async def test_the_newest_active_banner_is_shown_until_cleared_or_expired(notices):
    now = notices.engine.clock()
    assert (await notices.view()).banner is None
    before = await notices.revision()
    first, created = await notices.show_banner(
        "traffic-banner", {"self_service": "帮助中心"}, severity=Severity.WARNING, by="a",
        link="https://help.example.com/", incident_id=None, key="k1",
    )  # fmt: skip
    assert created and await notices.revision() == before + 1
    again, created = await notices.show_banner(
        "traffic-banner", {"self_service": "other"}, severity=Severity.INFO, by="a", key="k1"
    )
    assert not created and again == first
    second, _ = await notices.show_banner(
        "traffic-banner", {"self_service": "App"}, severity=Severity.CRITICAL, by="b",
        expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    view = await notices.view()
    assert view.banner is not None and view.banner.id == second.id
    assert view.banner.in_locale("en").endswith("or use self-service: App")
    assert (await notices.view(now + timedelta(hours=2))).banner.id == first.id  # expired
    cleared = await notices.clear_banner(by="c")
    assert {item.id for item in cleared} == {first.id, second.id}
    assert (await notices.view()).banner is None
    assert await notices.clear_banner(by="c") == []


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "//evil.example.com", "data:x", "ftp://x/"]
)
async def test_a_banner_link_is_an_http_url_or_a_path(notices, link):
    with pytest.raises(NoticeError, match="http"):
        await notices.show_banner(
            "traffic-banner", {"self_service": "x"}, severity=Severity.INFO, by="a", link=link
        )
