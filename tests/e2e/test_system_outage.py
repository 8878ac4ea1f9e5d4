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
    [page] = await world.mails(1, *PAGE)
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
    assert not agents.is_archived  # a fixed channel is never archived


async def _ivr(world: E2E, event: str) -> dict[str, Any] | None:
    for received in world.hooks.requests:
        if received.path.endswith("/ivr") and received.json().get("event") == event:
            return dict(received.json())
    return None
