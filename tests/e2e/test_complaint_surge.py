"""complaint-surge, trigger to resolve: complaints about one topic climb, Prometheus fires
ComplaintRateHigh through Alertmanager; the shipped playbook forms the emergency group
(a Slack room, the escalation mailed to leadership and the departments, the departments'
leads paged and one acknowledging by link), pushes the complaint script to every agent,
flags a reply that admits fault and promises a refund, and when the alert resolves
tells the agents the usual replies apply again and archives the room."""

from __future__ import annotations

import asyncio

from integration.services import Exporter, run_surge
from support.smtp import Received

from e2e.conftest import Start
from e2e.world import E2E, PAGE, RESPONDER_TOKEN, has_text, holds
from surge.store.records import RunStatus

TOPIC = "快递延误"
RULES = """
groups:
  - name: complaints
    rules:
      - alert: ComplaintRateHigh
        expr: cs_complaints_per_minute > 5
        for: 0s
"""
BAD_REPLY = "这次确实是我们的错，我们马上给您全额退款。"
# the shipped emergency-group policy's first level: the leads of customer service,
# quality, legal and public relations
GROUP = {
    "zhang.min@example.com",
    "xu.jing@example.com",
    "he.ming@example.com",
    "lin.na@example.com",
}


async def test_complaint_surge_from_the_alert_to_the_room_archived(
    exporter: Exporter, start: Start
) -> None:
    exporter.set("cs_complaints_per_minute", 0.5, topic=TOPIC)
    world = await start(RULES)

    exporter.set("cs_complaints_per_minute", 12, topic=TOPIC)  # the surge
    incident = await world.opened("complaint-surge")
    stored = await world.runtime.store.get_incident(incident)
    assert stored is not None and stored.params["topic"] == TOPIC  # from the alert's label

    # the emergency group: a room on Slack, and the escalation to leadership and departments
    room = await world.eventually(lambda: world.room(incident), "the emergency group's room")
    assert room.name == f"inc-{incident}-complaints-{incident}"
    leadership = await world.eventually(lambda: _mail_to(world, "leadership@example.test"), "")
    assert f"“{TOPIC}”" in leadership.text and room.name in leadership.text
    departments = await world.eventually(lambda: _mail_to(world, "legal@example.test"), "")
    assert "quality@example.test" in departments.recipients and TOPIC in departments.text
    # the unified script, pushed to every agent and pinned
    agents = world.slack.by_name("cs-agents")
    await world.eventually(lambda: has_text(agents.messages, f"关于“{TOPIC}”"), "the script")
    await world.eventually(lambda: holds(bool(agents.pins)), "the script pinned")

    # a reply that admits fault and promises a refund is flagged
    status, checked = await world.post(
        "/api/v1/scripts/check", {"incident": incident, "text": BAD_REPLY}, RESPONDER_TOKEN
    )
    assert status == 200 and checked["pass"] is False
    found = {(v["rule"], v["found"]) for v in checked["violations"]}
    assert {("forbidden", "是我们的错"), ("forbidden", "全额退款"), ("promise", "退款")} <= found

    # the departments' leads are paged at once; the first to open the link acknowledges
    pages = await world.mails(len(GROUP), *PAGE)
    assert {mail.recipients[0] for mail in pages} == GROUP
    assert await world.open_link(pages[0], "ack") == 200
    await world.status(incident, "acknowledged")
    group = await world.run(incident, "group", RunStatus.SUCCEEDED)
    assert group.result is not None and group.result["acknowledged"] is True
    assert await world.open_link(pages[0], "ack") == 409  # a link works once

    # an affected customer, added by an agent as they call
    customer = {"ref": "ORD-20261201-0042", "channel": "hotline", "contact": "+8613900000042"}
    status, _ = await world.post(
        f"/api/v1/incidents/{incident}/customers", customer, RESPONDER_TOKEN
    )
    assert status in (200, 201)

    # the holding statement waits for communications to approve it for this incident
    await world.run(incident, "statement-approved", RunStatus.WAITING)
    await asyncio.sleep(1.5)
    assert await world.notice_versions(incident) == []  # nothing published unapproved
    assert (await world.public("/api/v2/incidents/unresolved.json"))["incidents"] == []
    code, said = await run_surge(
        "scripts", "approve", "complaint-statement", "--by", "mei", "--config", str(world.config)
    )
    assert code == 0, said
    approved = await world.run(incident, "statement-approved", RunStatus.SUCCEEDED)
    assert approved.result is not None and approved.result["approved_by"] == "mei"
    [statement] = await world.eventually(lambda: world.notice_versions(incident), "the statement")
    assert (statement.state, statement.script_id) == ("identified", "complaint-statement")
    assert statement.published_at and approved.finished_at
    assert statement.published_at >= approved.finished_at
    assert f"“{TOPIC}”" in statement.body["zh-CN"] and "24小时内" in statement.body["zh-CN"]
    public = await world.eventually(
        world.public_until(
            "/api/v2/incidents/unresolved.json?lang=zh-CN", lambda b: b["incidents"]
        ),
        "the statement on the status page",
    )
    assert [item["name"] for item in public["incidents"]] == [f"关于“{TOPIC}”的说明"]

    exporter.set("cs_complaints_per_minute", 1, topic=TOPIC)  # back to its usual rate
    await world.status(incident, "resolved", within=25)
    runs = await world.settled(incident)
    assert [(r.step_id, r.error) for r in runs if r.status is RunStatus.FAILED] == []
    await world.eventually(lambda: has_text(agents.messages, "专项处理已结束"), "back to usual")
    await world.eventually(lambda: holds(room.is_archived), "the room archived")
    # the statement closed, and the report sent to the departments concerned
    versions = await world.notice_versions(incident)
    assert [(v.number, v.state) for v in versions] == [(1, "identified"), (2, "resolved")]
    report = await world.eventually(lambda: _mail_with(world, "复盘报告"), "the report")
    assert set(report.recipients) == {"quality@example.test", "legal@example.test"}
    for text in ("质量部", "法务部", "公关部", TOPIC, "ORD-20261201-0042"):
        assert text in report.text, text
    assert "+8613900000042" not in report.text  # a customer's contact stays masked
    # the same report from the API: who was paged and acknowledged, the notice's versions
    markdown = await world.get_text(f"/api/v1/incidents/{incident}/report?format=md")
    assert "complaint-statement" in markdown and "ORD-20261201-0042" in markdown
    assert all(name in markdown for name in ("张敏", "徐静", "何明", "林娜"))  # who was paged


async def _mail_with(world: E2E, text: str) -> Received | None:
    return next((mail for mail in world.smtp.received if text in mail.text), None)


async def _mail_to(world: E2E, address: str) -> Received | None:
    for mail in world.smtp.received:
        if address in mail.recipients and "[surge #" in str(mail.message["Subject"]):
            return mail
    return None
