"""system-outage, trigger to resolve: Prometheus sees web chat down and Alertmanager tells
surge; the shipped playbook opens the incident room on Slack and the temporary hotline,
pushes the outage script to the agents, pages the standby shift by e-mail (acknowledged
through the page's link), flags a reply that breaks the script, and when the alert
resolves closes the hotline, tells the agents and archives the room."""

from __future__ import annotations

from typing import Any

from integration.services import Exporter

from e2e.conftest import Start
from e2e.world import E2E, HOTLINE, PAGE, RESPONDER_TOKEN, has_text, holds
from surge.notices.model import NoticeVersion
from surge.store.records import RunStatus

RULES = """
groups:
  - name: channels
    rules:
      - alert: ChannelDown
        expr: cs_channel_up == 0
        for: 0s
        labels: {severity: critical}
"""
BAD_REPLY = "非常抱歉，我们保证今晚一定修好，并给您全额退款。"
GOOD_REPLY = "您好，在线客服目前出现故障，技术团队正在处理，预计1h内恢复。"


async def test_system_outage_from_the_alert_to_the_room_archived(
    exporter: Exporter, start: Start
) -> None:
    exporter.set("cs_channel_up", 1, channel="web-chat")
    world = await start(RULES)

    exporter.set("cs_channel_up", 0, channel="web-chat")  # web chat goes down
    incident = await world.opened("system-outage")
    stored = await world.runtime.store.get_incident(incident)
    assert stored is not None and stored.params["channel"] == "web-chat"

    # the incident room: a new Slack channel, with the incident's summary
    room = await world.eventually(lambda: world.room(incident), "the incident room")
    assert room.name == f"inc-{incident}-outage-web-chat" and not room.is_archived
    # the temporary hotline switched on through the telephony webhook
    opened = await world.eventually(lambda: _ivr(world, "hotline.open"), "the hotline opened")
    assert opened["incident"]["id"] == incident
    # the outage notice: investigating, web chat in a major outage, the hotline to call
    [first] = await world.eventually(lambda: world.notice_versions(incident), "the notice")
    assert (first.number, first.state, first.script_id) == (1, "investigating", "outage-notice")
    assert first.components == {"web-chat": "major_outage"} and first.published_at
    assert HOTLINE in first.body["zh-CN"] and HOTLINE in first.body["en"]
    assert first.title["zh-CN"] == "在线客服暂时无法使用"
    # on the public status page and its Statuspage-compatible API
    summary = await world.eventually(
        world.public_until("/api/v2/summary.json?lang=zh-CN", lambda body: body["incidents"]),
        "the notice on the status page",
    )
    assert _status_of(summary, "web-chat") == "major_outage"
    [shown] = summary["incidents"]
    assert shown["name"] == "在线客服暂时无法使用" and shown["status"] == "investigating"
    assert HOTLINE in shown["incident_updates"][0]["body"]
    assert "在线客服暂时无法使用" in await world.public("/status?lang=zh-CN")
    # the agents' script, with the hotline's number, pushed to the agents and pinned
    agents = world.slack.by_name("cs-agents")
    await world.eventually(
        lambda: has_text(agents.messages, f"临时客服热线{HOTLINE}"), "the script"
    )
    await world.eventually(lambda: holds(bool(agents.pins)), "the script pinned")

    # a reply against the script is flagged; one that keeps to it is not
    status, checked = await world.post(
        "/api/v1/scripts/check", {"incident": incident, "text": BAD_REPLY}, RESPONDER_TOKEN
    )
    assert status == 200 and checked["pass"] is False
    assert {v["rule"] for v in checked["violations"]} >= {"forbidden", "promise"}
    assert any(v["found"] == "保证" for v in checked["violations"])
    status, fine = await world.post(
        "/api/v1/scripts/check", {"incident": incident, "text": GOOD_REPLY}, RESPONDER_TOKEN
    )
    assert status == 200 and fine["pass"] is True, fine

    # the standby shift is paged by e-mail; the first person paged acknowledges by link
    page = (await world.mails(1, *PAGE))[0]  # whoever the rota has on shift now
    assert await world.open_link(page, "ack") == 200
    await world.status(incident, "acknowledged")
    paged = await world.run(incident, "page", RunStatus.SUCCEEDED)
    assert paged.result is not None and paged.result["acknowledged"] is True
    kinds = await world.kinds(incident)
    assert "page.sent" in kinds and "page.ack" in kinds

    exporter.set("cs_channel_up", 1, channel="web-chat")  # web chat works again
    await world.status(incident, "resolved", within=25)
    runs = await world.settled(incident)
    assert [(r.step_id, r.error) for r in runs if r.status is RunStatus.FAILED] == []
    closed = await world.eventually(lambda: _ivr(world, "hotline.close"), "the hotline closed")
    assert closed["incident"]["id"] == incident
    await world.eventually(lambda: has_text(agents.messages, "在线客服已恢复正常"), "recovered")
    await world.eventually(lambda: holds(room.is_archived), "the room archived")
    # the resolution published: the notice closed, web chat operational again
    versions = await world.notice_versions(incident)
    assert [(v.number, v.state) for v in versions] == [(1, "investigating"), (2, "resolved")]
    assert versions[1].script_id == "outage-recovered" and "已恢复正常" in versions[1].body["zh-CN"]
    summary = await world.eventually(
        world.public_until("/api/v2/summary.json", lambda body: not body["incidents"]),
        "the status page back to normal",
    )
    assert _status_of(summary, "web-chat") == "operational"
    history = await world.public("/api/v2/incidents.json?lang=en")
    [closed] = [item for item in history["incidents"] if item["id"] == str(first.notice_id)]
    assert closed["status"] == "resolved" and "works again" in closed["incident_updates"][0]["body"]
    assert not agents.is_archived  # a fixed channel is never archived


def _status_of(summary: dict[str, Any], component: str) -> str:
    return str(next(c["status"] for c in summary["components"] if c["id"] == component))


async def _ivr(world: E2E, event: str) -> dict[str, Any] | None:
    for received in world.hooks.requests:
        if received.path.endswith("/ivr") and received.json().get("event") == event:
            return dict(received.json())
    return None


async def test_a_long_outage_updates_its_notice_and_starts_the_complaint_surge(
    exporter: Exporter, start: Start
) -> None:
    """Triggered by hand, an outage that is still down after `complaints_after` gets a new
    version of its notice and starts complaint-surge, which links back to it."""
    exporter.set("cs_channel_up", 1, channel="app")
    world = await start(RULES)
    status, body = await world.post(
        "/api/v1/playbooks/system-outage/trigger",
        {"params": {"channel": "app", "eta": "2h", "hotline": False, "complaints_after": "2s"}},
        RESPONDER_TOKEN,
    )
    assert status in (200, 201), body
    outage = int(body["id"])
    page = (await world.mails(1, *PAGE))[0]  # whoever the rota has on shift now
    assert await world.open_link(page, "ack") == 200
    complaints = await world.opened("complaint-surge")
    child = await world.runtime.store.get_incident(complaints)
    assert child is not None and child.params["topic"] == "手机App故障"
    assert child.triggered_by == f"incident:{outage}"
    versions = await world.eventually(lambda: _versions(world, outage, 2), "the update")
    assert [(v.number, v.state, v.script_id) for v in versions] == [
        (1, "investigating", "outage-notice"),
        (2, "identified", "outage-update"),
    ]
    assert "预计2h内恢复" in versions[1].body["zh-CN"]
    assert "playbook.triggered" in await world.kinds(outage)
    for incident in (outage, complaints):
        status, _ = await world.post(f"/api/v1/incidents/{incident}/resolve", {}, RESPONDER_TOKEN)
        assert status == 200
    await world.settled(outage)
    final = await _versions(world, outage, 3)
    assert final is not None and final[-1].state == "resolved"


async def _versions(world: E2E, incident: int, count: int) -> list[NoticeVersion] | None:
    found = await world.notice_versions(incident)
    return found if len(found) >= count else None
