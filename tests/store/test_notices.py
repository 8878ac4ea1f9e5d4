"""The notice tables on every backend: versions kept by their step's key, drafts published
once, component statuses, banners, and the status revision that every change bumps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from store.conftest import NOW, incident

from surge.notices.model import (
    Audience,
    Banner,
    ComponentState,
    ComponentStatus,
    Impact,
    Notice,
    NoticeConflict,
    NoticeKind,
    NoticeState,
    NoticeVersion,
    Severity,
    VersionStatus,
)

LATER = NOW + timedelta(minutes=5)
MAJOR = ComponentStatus.MAJOR_OUTAGE


def notice(**changes) -> Notice:
    fields: dict[str, Any] = dict(
        id=0, kind=NoticeKind.INCIDENT, audience=Audience.PUBLIC, impact=Impact.NONE,
        state=NoticeState.INVESTIGATING, components={}, created_at=NOW, updated_at=NOW,
        created_by="lee",
    )  # fmt: skip
    fields.update(changes)
    return Notice(**fields)


def version(**changes) -> NoticeVersion:
    fields: dict[str, Any] = dict(
        notice_id=0, number=0, state=NoticeState.INVESTIGATING, impact=Impact.CRITICAL,
        components={"web-chat": MAJOR}, script_id="outage-initial", content_hash="ab" * 32,
        vars={"eta": "15:30"}, title={"zh-CN": "在线客服异常", "en": "Web chat down"},
        body={"zh-CN": "<script>正文</script>", "en": "body"}, author="lee", at=NOW,
    )  # fmt: skip
    fields.update(changes)
    return NoticeVersion(**fields)


async def test_a_version_kept_under_a_key_is_stored_once(store):
    created = await store.create_incident(incident(), [], [])
    first = await store.add_notice_version(
        notice(incident_id=created.id, key="1:steps:notice"),
        version(key="1:steps:notice"),
        publish=True,
    )
    assert first.created and first.notice.id > 0 and first.version.number == 1
    assert first.notice.state is NoticeState.INVESTIGATING
    assert first.notice.impact is Impact.CRITICAL and first.notice.published_at == NOW
    assert first.notice.title == {"zh-CN": "在线客服异常", "en": "Web chat down"}
    again = await store.add_notice_version(
        notice(incident_id=created.id, key="1:steps:notice"),
        version(key="1:steps:notice", author="someone else"),
        publish=True,
    )
    assert not again.created and again.version == first.version
    assert again.notice == await store.notice(first.notice.id)
    assert await store.notice_version_by_key("1:steps:notice") == again
    assert await store.notice_version_by_key("nope") is None
    assert await store.notices(incident_id=created.id) == [again.notice]
    [stored] = await store.notice_versions(first.notice.id)
    assert stored == first.version and stored.body["zh-CN"] == "<script>正文</script>"


async def test_a_draft_is_published_once_and_never_after_a_newer_version(store):
    drafted = await store.add_notice_version(notice(), version(), publish=False)
    assert drafted.version.status is VersionStatus.DRAFT and drafted.notice.published_at is None
    assert await store.status_revision() == 0
    second = await store.add_notice_version(
        drafted.notice, version(state=NoticeState.IDENTIFIED, at=LATER), publish=False
    )
    assert second.version.number == 2
    shown = await store.publish_notice_version(drafted.notice.id, 2, "comms", LATER)
    assert shown.notice.state is NoticeState.IDENTIFIED and shown.notice.published_at == LATER
    assert shown.version.published_by == "comms" and shown.version.published_at == LATER
    assert await store.status_revision() == 1
    with pytest.raises(NoticeConflict, match="published already"):
        await store.publish_notice_version(drafted.notice.id, 2, "comms", LATER)
    with pytest.raises(NoticeConflict, match="published after draft 1"):
        await store.publish_notice_version(drafted.notice.id, 1, "comms", LATER)
    with pytest.raises(NoticeConflict, match="no version 9"):
        await store.publish_notice_version(drafted.notice.id, 9, "comms", LATER)
    await store.mark_notice_announced(drafted.notice.id, 2, LATER)
    versions = await store.notice_versions(drafted.notice.id)
    assert [item.announced_at for item in versions] == [None, LATER]


async def test_components_follow_open_public_notices_and_hand_changes(store):
    one = await store.add_notice_version(notice(), version(), publish=True)
    await store.add_notice_version(
        notice(), version(components={"web-chat": ComponentStatus.PARTIAL_OUTAGE,
                                      "app": ComponentStatus.DEGRADED_PERFORMANCE}),
        publish=True,
    )  # fmt: skip
    await store.add_notice_version(
        notice(audience=Audience.INTERNAL), version(components={"email": MAJOR}), publish=True
    )
    states = await store.component_states()
    assert {name: state.status for name, state in states.items()} == {
        "web-chat": MAJOR, "app": ComponentStatus.DEGRADED_PERFORMANCE,
    }  # fmt: skip
    await store.add_notice_version(
        one.notice,
        version(state=NoticeState.RESOLVED, components={"web-chat": ComponentStatus.OPERATIONAL},
                at=LATER),
        publish=True,
    )  # fmt: skip
    resolved = await store.notice(one.notice.id)
    assert resolved is not None and resolved.resolved_at == LATER and not resolved.is_open
    states = await store.component_states()
    assert states["web-chat"].status is ComponentStatus.PARTIAL_OUTAGE
    revision = await store.status_revision()
    await store.set_component_state(ComponentState("hotline", MAJOR, LATER, "kim"))
    assert (await store.component_states())["hotline"] == ComponentState(
        "hotline", MAJOR, LATER, "kim"
    )
    assert await store.status_revision() == revision + 1
    assert [n.id for n in await store.notices(open_only=True, audience=Audience.PUBLIC)] == [2]


async def test_banners_are_kept_by_key_and_cleared_per_incident(store):
    mine = await store.create_incident(incident(), [], [])
    other = await store.create_incident(incident(group_key="other"), [], [])

    def banner(**changes) -> Banner:
        fields: dict[str, Any] = dict(
            id=0, script_id="traffic-banner", content_hash="cd" * 32, vars={"x": "帮助"},
            text={"en": "busy", "zh-CN": "繁忙"}, severity=Severity.WARNING, link="/help",
            shown_by="playbook", shown_at=NOW,
        )  # fmt: skip
        fields.update(changes)
        return Banner(**fields)

    first, created = await store.show_banner(banner(incident_id=mine.id, key="k"))
    assert created and first.id > 0 and first.text == {"en": "busy", "zh-CN": "繁忙"}
    assert await store.show_banner(banner(incident_id=mine.id, key="k")) == (first, False)
    theirs, _ = await store.show_banner(
        banner(incident_id=other.id, expires_at=LATER, shown_at=LATER)
    )
    revision = await store.status_revision()
    assert revision == 2
    cleared = await store.clear_banners("playbook", LATER, incident_id=mine.id)
    assert [(item.id, item.cleared_by, item.cleared_at) for item in cleared] == [
        (first.id, "playbook", LATER)
    ]
    assert await store.status_revision() == revision + 1
    rows = await store.status_rows(NOW + timedelta(minutes=1), NOW)
    assert [item.id for item in rows.banners] == [theirs.id]
    assert await store.clear_banners("x", LATER + timedelta(minutes=1)) == []  # expired
    assert [item.id for item in await store.banners()] == [theirs.id, first.id]


async def test_status_rows_hold_public_published_notices_and_their_published_versions(store):
    shown = await store.add_notice_version(notice(), version(), publish=True)
    await store.add_notice_version(shown.notice, version(at=LATER), publish=False)  # a draft
    await store.add_notice_version(notice(), version(), publish=False)  # never shown
    await store.add_notice_version(notice(audience=Audience.AGENTS), version(), publish=True)
    old = await store.add_notice_version(
        notice(), version(state=NoticeState.RESOLVED, at=NOW - timedelta(days=20)), publish=True
    )
    rows = await store.status_rows(LATER, NOW - timedelta(days=14))
    assert rows.revision == await store.status_revision()
    assert [item.id for item in rows.notices] == [shown.notice.id]
    assert [item.number for item in rows.versions[shown.notice.id]] == [1]
    assert old.notice.id not in rows.versions
    assert rows.components["web-chat"].status is MAJOR
