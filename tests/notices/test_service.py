"""Drafting, previewing, publishing, updating and resolving notices through ``Notices``:
only approved scripts render, every version is kept with what it was made from, and the
components and the status revision follow what is published."""

from __future__ import annotations

from typing import Any

import pytest
from notices.conftest import OUTAGE, RESOLVED, approve_all

from surge.notices.model import (
    Audience,
    ComponentStatus,
    Impact,
    NoticeConflict,
    NoticeKind,
    NoticeState,
    VersionStatus,
)
from surge.notices.service import Draft, NoticeError
from surge.scripts.approval import NotApproved
from surge.scripts.rules import ScriptError

MAJOR = ComponentStatus.MAJOR_OUTAGE


def outage(**changes):
    fields: dict[str, Any] = dict(
        script="outage-initial", vars=OUTAGE, components={"web-chat": MAJOR}
    )
    fields.update(changes)
    return Draft(**fields)


async def test_a_published_notice_keeps_every_version_with_its_script_and_author(notices):
    first = await notices.publish_new(outage(), author="lee")
    notice, version = first.notice, first.version
    assert (notice.state, notice.impact, notice.kind) == (
        NoticeState.INVESTIGATING, Impact.CRITICAL, NoticeKind.INCIDENT,
    )  # fmt: skip
    assert notice.components == {"web-chat": MAJOR} and notice.published_at is not None
    assert version.number == 1 and version.status is VersionStatus.PUBLISHED
    assert version.title == {
        "zh-CN": "在线客服服务异常", "zh-TW": "在线客服服務異常",
        "en": "在线客服 is having problems",
    }  # fmt: skip
    assert "预计15:30恢复" in version.body["zh-CN"] and set(version.body) == {
        "zh-CN", "zh-TW", "en",
    }  # fmt: skip
    assert version.script_id == "outage-initial" and len(version.content_hash) == 64
    assert version.vars == OUTAGE and (version.author, version.published_by) == ("lee", "lee")

    update = await notices.publish_new(
        outage(state=NoticeState.IDENTIFIED, components={"hotline": ComponentStatus.
               DEGRADED_PERFORMANCE}),
        author="kim",
        notice_id=notice.id,
    )  # fmt: skip
    assert update.version.number == 2 and update.notice.state is NoticeState.IDENTIFIED
    assert update.notice.components == {
        "web-chat": MAJOR, "hotline": ComponentStatus.DEGRADED_PERFORMANCE,
    }  # fmt: skip
    closed = await notices.resolve(notice.id, Draft("outage-resolved", RESOLVED), author="ann")
    assert closed.notice.state is NoticeState.RESOLVED and closed.notice.resolved_at
    assert closed.version.title["en"] == "在线客服 works again"
    versions = await notices.versions(notice.id)
    assert [(v.number, v.state, v.author) for v in versions] == [
        (1, NoticeState.INVESTIGATING, "lee"),
        (2, NoticeState.IDENTIFIED, "kim"),
        (3, NoticeState.RESOLVED, "ann"),
    ]
    states = {c.id: s.status for c, s in await notices.component_states()}
    assert states["web-chat"] is states["hotline"] is ComponentStatus.OPERATIONAL


async def test_a_variable_is_a_value_never_a_template_and_stays_inert_text(notices):
    hostile = "<script>alert(1)</script>{{ 7*7 }}"
    change = await notices.publish_new(outage(vars={**OUTAGE, "workaround": hostile}), author="x")
    for locale in ("zh-CN", "zh-TW", "en"):
        assert hostile in change.version.body[locale]
        assert "49" not in change.version.body[locale]
    [stored] = await notices.versions(change.notice.id)
    assert hostile in stored.body["en"]


async def test_drafts_render_only_from_approved_scripts(runtime, notices):
    await approve_all(runtime)
    with pytest.raises(ScriptError, match="no script 'nope'"):
        await notices.draft(Draft("nope"), author="lee")
    script = runtime.scripts.get("outage-initial")
    changed = script.__class__(**{**script.__dict__, "content_hash": "0" * 64})
    runtime.scripts._scripts["outage-initial"] = changed  # as if the file changed since
    with pytest.raises(NotApproved, match="changed since comms-lead approved it"):
        await notices.draft(outage(), author="lee")
    assert await runtime.store.notices() == []


async def test_a_text_that_breaks_a_rule_is_not_drafted_but_previewed(notices):
    broken = {**OUTAGE, "workaround": "我们保证马上修好"}
    preview = await notices.preview("outage-initial", broken)
    assert not preview.ok
    zh = next(text for text in preview.texts if text.locale == "zh-CN")
    assert [item.found for item in zh.body_violations] == ["保证"]
    assert zh.title == "在线客服服务异常" and zh.title_violations == ()
    assert preview.as_json()["locales"][0]["body_violations"][0]["rule"] == "forbidden"
    with pytest.raises(ScriptError, match="breaks a rule"):
        await notices.draft(outage(vars=broken), author="lee")
    with pytest.raises(ScriptError, match="'eta' is required"):
        await notices.preview("outage-initial", {**OUTAGE, "eta": " "})


async def test_a_draft_is_published_later_and_only_once(notices, runtime):
    drafted = await notices.draft(outage(), author="lee")
    assert drafted.version.status is VersionStatus.DRAFT
    assert drafted.notice.published_at is None
    assert (await notices.view()).incidents == ()  # a draft is not public
    revision = await notices.revision()
    shown = await notices.publish(drafted.notice.id, 1, by="comms-lead")
    assert shown.version.published_by == "comms-lead" and shown.version.author == "lee"
    assert await notices.revision() == revision + 1
    with pytest.raises(NoticeConflict, match="published already"):
        await notices.publish(drafted.notice.id, 1, by="comms-lead")
    old = await notices.draft(outage(state=NoticeState.IDENTIFIED), author="a",
                              notice_id=drafted.notice.id)  # fmt: skip
    await notices.publish_new(
        outage(state=NoticeState.MONITORING), author="b", notice_id=drafted.notice.id
    )
    with pytest.raises(NoticeConflict, match="was published after draft 2"):
        await notices.publish(drafted.notice.id, old.version.number, by="comms-lead")


async def test_components_take_the_worst_status_of_the_open_public_notices(notices):
    first = await notices.publish_new(outage(), author="a")
    await notices.publish_new(
        outage(components={"web-chat": ComponentStatus.PARTIAL_OUTAGE}), author="b"
    )
    internal = outage(components={"app": MAJOR}, audience=Audience.INTERNAL)
    await notices.publish_new(internal, author="c")

    def status(states, name):
        return next(state.status for component, state in states if component.id == name)

    states = await notices.component_states()
    assert status(states, "web-chat") is MAJOR
    assert status(states, "app") is ComponentStatus.OPERATIONAL  # internal: not public
    await notices.resolve(first.notice.id, Draft("outage-resolved", RESOLVED), author="a")
    states = await notices.component_states()
    assert status(states, "web-chat") is ComponentStatus.PARTIAL_OUTAGE  # the other holds it


async def test_a_request_that_makes_no_notice_says_every_reason(notices):
    with pytest.raises(NoticeError) as caught:
        await notices.publish_new(
            outage(components={"nowhere": MAJOR}, state=NoticeState.COMPLETED), author="a"
        )
    assert caught.value.problems == [
        "unknown component 'nowhere'; known: web-chat, hotline, app, email",
        "incident notices have the states investigating, identified, monitoring, resolved",
    ]
    with pytest.raises(NoticeError, match="needs its window"):
        await notices.publish_new(
            Draft("maintenance-planned", {}, kind=NoticeKind.MAINTENANCE), author="a"
        )
    with pytest.raises(NoticeError, match="there is no notice 99"):
        await notices.publish_new(outage(), author="a", notice_id=99)
    with pytest.raises(NoticeError, match="unknown component"):
        await notices.set_component("nowhere", MAJOR, by="a")


async def test_a_component_status_set_by_hand_bumps_the_revision(notices):
    before = await notices.revision()
    state = await notices.set_component("app", ComponentStatus.DEGRADED_PERFORMANCE, by="kim")
    assert state.updated_by == "kim"
    assert await notices.revision() == before + 1
    [app] = [item for item in (await notices.view()).components if item.id == "app"]
    assert app.status is ComponentStatus.DEGRADED_PERFORMANCE


async def test_a_rerun_tells_the_plugins_only_what_the_first_run_did_not(
    make_runtime, notices_config
):

    from surge.plugin import hookimpl

    told: list[tuple[int, int]] = []

    class Subscriber:
        name = "subscriber"

        @hookimpl
        async def surge_notice_published(self, notice: Any, version: Any) -> None:
            told.append((notice.id, version.number))

    runtime = await make_runtime(start=False, config=notices_config, plugins=[Subscriber()])
    await approve_all(runtime)
    notices = runtime.engine.services.notices
    # the first run stored its version and died before the hook ran
    made, version = await notices._make(outage(), "playbook", None, "7:steps:notice")
    stored = await runtime.store.add_notice_version(made, version, publish=True)
    again = await notices.publish_new(outage(), author="playbook", key="7:steps:notice")
    assert not again.created and again.version.number == stored.version.number
    await runtime.engine.events.drain()
    assert told == [(stored.notice.id, 1)]
    [announced] = await notices.versions(stored.notice.id)
    assert announced.announced_at is not None
    await notices.publish_new(outage(), author="playbook", key="7:steps:notice")  # once more
    await runtime.engine.events.drain()
    assert told == [(stored.notice.id, 1)]  # announced already: not told twice
    assert len(await runtime.store.notices()) == 1
