"""The post-incident report: built from a real run (pages, customers, a chained incident,
follow-ups), rendered as Markdown and autoescaped HTML in each locale."""

from __future__ import annotations

import dataclasses

import pytest

from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.report.build import Reports
from surge.report.render import render
from surge.store.records import IncidentStatus

COMPLAINTS = """
    id: complaints
    title: Complaint surge
    params:
      topic: {type: string, required: true}
    components: ["{{ params.topic }}-line"]
    report:
      locale: zh-CN
      departments:
        - {name: 质量部, follow_up: "查明「{{ params.topic }}」的根因 (#{{ incident.id }})"}
        - 客服部
    steps:
      - id: collect
        action: customers.collect
        with:
          customers:
            - {ref: C-1, channel: hotline, contact: "13812345678", note: "<script>x</script>|pipe"}
      - {id: hold, action: wait, with: {until: acknowledged, timeout: 1h}}
"""
OUTAGE = """
    id: outage
    title: Outage
    steps:
      - id: chain
        action: playbook.trigger
        with: {playbook: complaints, params: {topic: "<b>app</b>"}}
"""


@pytest.fixture
async def world(write_playbook, make_runtime, wait_settled):
    write_playbook("complaints", COMPLAINTS)
    write_playbook("outage", OUTAGE)
    runtime = await make_runtime()
    outage = await runtime.engine.trigger("outage", {}, actor="ann")
    [run] = await wait_settled(runtime, outage.id)
    child = int(run.result["incident"])
    await _paged(runtime, child, "ann")
    await runtime.engine.change_status(child, IncidentStatus.ACKNOWLEDGED, "bob", "on it")
    await wait_settled(runtime, child)
    await runtime.engine.change_status(child, IncidentStatus.RESOLVED, "bob", "fixed")
    reports = runtime.engine.services.reports
    assert isinstance(reports, Reports)
    return runtime, reports, outage.id, child


async def _paged(runtime, incident_id: int, person: str) -> None:
    """An escalation with one page, answered, as the page action records them."""
    store, now = runtime.store, runtime.engine.clock()
    [run, *_] = await store.runs(incident_id)
    key = f"{incident_id}:steps:hold:1"
    escalation = await store.start_escalation(
        Escalation(0, incident_id, key, "escalation", "standby", run.id, now, now, people=[person]),
        [],
    )
    record = PageRecord(
        0, escalation.id, incident_id, f"{key}:{person}", person, 0, 0, 0, "email",
        "ann@example.com", PageStatus.SENDING, now,
    )  # fmt: skip
    page, _ = await store.begin_page(record, [])
    await store.finish_page(page.id, PageStatus.SENT, now, "", [])
    await store.answer_page(page.id, Answer.ACK, "link", now, [])


async def test_the_report_holds_times_links_customers_and_follow_ups(world):
    _, reports, parent, child = world
    report = await reports.build(child)
    assert report is not None and report.locale == "zh-CN"
    summary = report.summary()
    assert summary["seconds_to"]["acknowledge"] is not None
    assert summary["seconds_to"]["mitigate"] is None
    assert summary["seconds_to"]["resolve"] >= summary["seconds_to"]["acknowledge"]
    assert summary["paged"] == ["ann"]
    assert summary["customers"] == 1 and summary["components"] == ["<b>app</b>-line"]
    assert summary["follow_ups"] == ["质量部", "客服部"]
    assert [(link.relation, link.incident) for link in report.links] == [("parent", parent)]
    assert report.follow_ups[0].text == f"查明「<b>app</b>」的根因 (#{child})"
    parents = await reports.build(parent)
    assert parents is not None
    assert [(link.relation, link.incident, link.outcome) for link in parents.links] == [
        ("child", child, "opened")
    ]
    assert await reports.build(999) is None


async def test_markdown_escapes_and_masks(world):
    _, reports, parent, child = world
    report = await reports.build(child)
    assert report is not None
    text = render(report, "md")
    assert text.startswith(f"# 事件复盘报告: #{child} Complaint surge\n")
    for heading in ("概要", "响应用时", "关联事件", "呼叫记录", "状态公告", "受影响组件",
                    "受影响客户", "后续跟进", "时间线"):  # fmt: skip
        assert f"## {heading}\n" in text
    assert f"- 由此事件触发: #{parent} (outage, chain)" in text
    assert (
        "| C-1 | hotline | \\*\\*\\*\\*\\*\\*\\*5678 | \\<script\\>x\\</script\\>\\|pipe |" in text
    )
    assert "13812345678" not in text and "ann@example.com" not in text
    assert "| ann | email | sent |" in text
    assert "- **质量部**: 查明「\\<b\\>app\\</b\\>」的根因" in text
    english = await reports.build(child, locale="en")
    assert english is not None
    assert "## Time to acknowledge" not in render(english, "md")
    assert "- Time to mitigate: not reached" in render(english, "md")


async def test_html_is_autoescaped_in_every_locale(world):
    _, reports, _, child = world
    for locale, heading in (("zh-CN", "后续跟进"), ("zh-TW", "後續跟進"), ("en", "Follow-ups")):
        report = await reports.build(child, locale=locale)
        assert report is not None
        page = render(report, "html")
        assert f'<html lang="{locale}">' in page
        assert f'<h2 id="follow-ups">{heading}</h2>' in page
        assert "<script>x</script>" not in page and "<b>app</b>" not in page
        assert "&lt;script&gt;x&lt;/script&gt;|pipe" in page
        assert "13812345678" not in page and "*******5678" in page


async def test_notices_and_their_versions_with_component_names(
    write_playbook, make_runtime, config
):
    from notices.conftest import COMPONENTS, OUTAGE, RESOLVED, SCRIPTS, approve_all

    from surge.config import ScriptSettings
    from surge.notices.model import ComponentStatus
    from surge.notices.service import Draft

    write_playbook("complaints", COMPLAINTS)
    settings = dataclasses.replace(config, scripts=ScriptSettings(SCRIPTS), components=COMPONENTS)
    runtime = await make_runtime(start=False, config=settings)
    await approve_all(runtime)
    incident = await runtime.engine.trigger("complaints", {"topic": "web-chat"}, actor="ann")
    notices = runtime.engine.services.notices
    assert notices is not None
    major = {"web-chat": ComponentStatus.MAJOR_OUTAGE}
    draft = Draft("outage-initial", OUTAGE, components=major, incident_id=incident.id)
    opened = await notices.publish_new(draft, author="lee")
    await notices.resolve(opened.notice.id, Draft("outage-resolved", RESOLVED), author="lee")
    reports = runtime.engine.services.reports
    assert reports is not None
    report = await reports.build(incident.id, locale="en")
    assert report is not None
    [notice] = report.notices
    assert [(v.number, v.state, v.status) for v in notice.versions] == [
        (1, "investigating", "published"),
        (2, "resolved", "published"),
    ]
    text = render(report, "md")
    assert f"### Notice {notice.id} (public, resolved)" in text
    assert "- Version 1 (investigating, published, Published " in text
    assert "- Web chat (web-chat) (operational)" in text
    assert "- web-chat-line" in text  # the playbook's own, not a configured component
