"""The Slack pager: a page is a DM with Acknowledge and Escalate buttons; the person paged
presses them through a signed interactive request, and the escalation follows."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import aiohttp
import pytest
import surge_slack.plugin
from support.paging import Clock, wait_for_run
from support.slack import PEOPLE, RESPONDER, action_body, signed
from surge_slack import pager

from surge.paging.spec import Page
from surge.store.records import IncidentStatus, RunStatus
from surge.web.app import create_app
from surge.web.keys import RUNTIME

from .conftest import approve_all

PAGE = """
    id: outage
    title: Web chat down
    severity: critical
    steps:
      - {id: page, action: page, with: {policy: slack-first}}
      - {id: after, action: log, with: {message: "paged: {{ steps.page.result.acknowledged }}"}}
"""
ACTIONS = "/api/v1/slack/actions"
FIVE_MINUTES = 300


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
async def paging_client(slack_config, aiohttp_client, write_playbook, probe, with_rota, clock):
    write_playbook("outage", PAGE)
    write_playbook("room-outage", ROOM_THEN_PAGE)
    app = create_app(
        slack_config(extra=with_rota),
        extra_plugins=[probe, surge_slack.plugin],
        load_entry_points=False,
    )
    runtime = app[RUNTIME]
    assert not runtime.problems, runtime.problems
    runtime.engine.clock = clock
    client = await aiohttp_client(app)
    await approve_all(runtime)
    return client


async def press(client, fake_slack, action, incident_id, user, message=None, **signing):
    url = f"{fake_slack.url[:-4]}response/{user}"
    body = action_body(action, str(incident_id), user, url, message)
    return await client.post(ACTIONS, data=body, headers=signed(body, **signing))


async def paged(runtime, fake_slack, eventually, user):
    """The incident's page step waiting, and the DM to ``user`` (its one message)."""
    await eventually(lambda: fake_slack.dm(user) and fake_slack.dm(user).messages, what="a DM")
    [message] = fake_slack.dm(user).messages
    return message


async def test_acknowledge_in_the_dm_stops_the_escalation(
    paging_client, fake_slack, eventually, clock
):
    runtime = paging_client.app[RUNTIME]
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    message = await paged(runtime, fake_slack, eventually, PEOPLE["bo"])
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    assert message["text"].startswith(f"【surge 呼叫】Web chat down（事件 {incident.id}）")
    section, context, actions = message["blocks"]
    assert section["text"]["type"] == "plain_text"
    assert context["elements"][0]["text"] == f"surge · 事件 #{incident.id} · 呼叫"
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in actions["elements"]] == [
        ("surge.page.ack", str(incident.id), "确认"),
        ("surge.page.escalate", str(incident.id), "升级"),
    ]
    assert message["metadata"]["event_payload"]["incident"] == incident.id

    # a forged or stale click is refused before anything happens
    forged = await press(
        paging_client, fake_slack, "surge.page.ack", incident.id, PEOPLE["bo"], secret="nope"
    )
    stale = await press(
        paging_client, fake_slack, "surge.page.ack", incident.id, PEOPLE["bo"],
        at=time.time() - 301,
    )  # fmt: skip
    assert (forged.status, stale.status) == (401, 401)
    assert (await runtime.store.get_incident(incident.id)).status is IncidentStatus.TRIGGERED

    clock.advance(90)
    clicked = await press(
        paging_client, fake_slack, "surge.page.ack", incident.id, PEOPLE["bo"], message
    )
    assert clicked.status == 200
    # the DM itself is answered: its buttons give way to the answer
    name, replaced = fake_slack.responses[-1]
    assert name == PEOPLE["bo"] and replaced["replace_original"] is True
    assert replaced["text"] == message["text"]
    assert [b["type"] for b in replaced["blocks"]] == ["section", "context", "context"]
    assert replaced["blocks"][-1]["elements"][0]["text"] == f"✅ 事件 #{incident.id} 已确认。"
    run = await wait_for_run(runtime, incident.id, "page", RunStatus.SUCCEEDED)
    assert (run.result or {})["acknowledged"] is True and (run.result or {})["by"] == "薄波"
    assert (run.result or {})["time_to_ack_s"] == 90
    [page] = await runtime.store.pages(incident.id)
    assert (page.answer, page.answered_via) == ("ack", "slack")
    entries = await runtime.store.timeline(incident.id)
    assert "薄波 acknowledged by slack, 1m30s after the page" in [e.message for e in entries]

    # and the DM in Slack itself loses its buttons, now that the incident is acknowledged
    dm = fake_slack.dm(PEOPLE["bo"])
    await eventually(lambda: dm.messages[0].get("edited"), what="the DM settled")
    assert [b["type"] for b in dm.messages[0]["blocks"]] == ["section", "context", "context"]
    assert dm.messages[0]["blocks"][-1]["elements"][0]["text"] == (
        f"✅ Incident #{incident.id} acknowledged."
    )

    # the next level's time comes and goes: Ann is never paged
    clock.advance(2 * FIVE_MINUTES)
    runtime.engine.wake()
    await asyncio.sleep(0.3)
    assert fake_slack.dm(PEOPLE["ann"]) is None
    assert len(fake_slack.calls_of("chat.postMessage")) == 1
    assert [p.person for p in await runtime.store.pages(incident.id)] == ["bo"]


async def test_escalate_in_the_dm_pages_the_next_level_now(paging_client, fake_slack, eventually):
    runtime = paging_client.app[RUNTIME]
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await paged(runtime, fake_slack, eventually, PEOPLE["bo"])
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    pressed = await press(
        paging_client, fake_slack, "surge.page.escalate", incident.id, PEOPLE["bo"]
    )
    assert pressed.status == 200
    message = await paged(runtime, fake_slack, eventually, PEOPLE["ann"])  # no clock moved
    assert message["text"].startswith(f"[surge page] Web chat down (incident {incident.id})")
    assert "level 2 of policy slack-first" in message["text"]
    entries = [e.message for e in await runtime.store.timeline(incident.id)]
    assert "policy slack-first: escalated by slack:bo: on to the next level now" in entries
    assert (await runtime.store.get_incident(incident.id)).status is IncidentStatus.TRIGGERED

    async def both_paged() -> bool:  # nobody of team night is on shift: only whom it paged
        people = await runtime.engine.services.pagers.oncall(incident.id, "night")
        return [person.id for person in people] == ["bo", "ann"]

    await eventually(both_paged, what="bo and Ann as the incident's on-call people")

    # Ann, a responder, acknowledges from the room's summary: her page is answered
    await press(paging_client, fake_slack, "surge.ack", incident.id, PEOPLE["ann"])
    assert fake_slack.responses[-1][1]["text"] == f"Incident #{incident.id} acknowledged."
    answers = {p.person: (p.answer, p.answered_via) for p in await runtime.store.pages(incident.id)}
    assert answers == {"bo": ("", ""), "ann": ("ack", "slack")}
    run = await wait_for_run(runtime, incident.id, "page", RunStatus.SUCCEEDED)
    assert (run.result or {})["by"] == "Ann"

    async def both_settled() -> bool:  # neither DM offers its buttons any more
        dms = [fake_slack.dm(PEOPLE[name]).messages[0] for name in ("bo", "ann")]
        return all(all(b["type"] != "actions" for b in m["blocks"]) for m in dms)

    await eventually(both_settled, what="both DMs without their buttons")
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "test")
    resolved = f"✅ Incident #{incident.id} resolved."
    await eventually(
        lambda: (
            fake_slack.dm(PEOPLE["bo"]).messages[0]["blocks"][-1]["elements"][0]["text"] == resolved
        ),
        what="the DM to say it is resolved",
    )
    assert len(fake_slack.dm(PEOPLE["bo"]).messages[0]["blocks"]) == 3  # one answer, replaced


async def test_someone_neither_paged_nor_a_responder_is_refused(
    paging_client, fake_slack, eventually
):
    runtime = paging_client.app[RUNTIME]
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await paged(runtime, fake_slack, eventually, PEOPLE["bo"])
    await press(paging_client, fake_slack, "surge.page.ack", incident.id, PEOPLE["mei"])
    name, reply = fake_slack.responses[-1]
    assert name == PEOPLE["mei"] and reply["response_type"] == "ephemeral"
    assert reply["text"] == "您的角色 comms 不能確認事件，需要：responder，或被此事件呼叫。"
    assert (await runtime.store.get_incident(incident.id)).status is IncidentStatus.TRIGGERED
    # a responder who was not paged may acknowledge from a page, as from the summary
    await press(paging_client, fake_slack, "surge.page.ack", incident.id, RESPONDER)
    assert fake_slack.responses[-1][1]["text"] == f"Incident #{incident.id} acknowledged."
    acked = await runtime.store.get_incident(incident.id)
    assert acked.status is IncidentStatus.ACKNOWLEDGED
    [page] = await runtime.store.pages(incident.id)
    assert page.answer == ""  # bo's page was not answered for him


async def test_a_page_sent_again_after_a_cut_off_is_found_in_the_dm(
    fake_slack, slack_runtime, write_playbook, with_rota
):
    write_playbook("outage", PAGE)
    runtime = await slack_runtime(extra=with_rota, start=False)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    person = runtime.engine.services.rota.people["ann"]
    [slack] = [p for p in runtime.engine.services.pagers.pagers.values() if p.name == "slack"]
    page = Page("k-1/0.0/ann/0", incident, person, PEOPLE["ann"], "subject", "text")
    async with aiohttp.ClientSession() as http:
        first = await pager.send(slack.options, page, http)
        again = await pager.send(slack.options, page, http)
    assert first["again"] is False and again["again"] is True
    assert again["ts"] == first["ts"] and again["channel"] == first["channel"]
    assert len(fake_slack.dm(PEOPLE["ann"]).messages) == 1
    assert slack.spec.safe_to_resend  # so a cut-off page is sent again, and found so


async def test_a_slack_pager_without_the_plugin_settings_says_what_to_add(tmp_path):
    from surge.config import parse_config
    from surge.runtime import build_runtime

    text = (
        f"store: sqlite:///{tmp_path / 's.db'}\n"
        "pagers:\n  slack: {colour: red}\n  dm: {type: slack}\n"
    )
    runtime = build_runtime(
        parse_config(text, "c.yaml"), extra_plugins=[surge_slack.plugin], load_entry_points=False
    )
    found = [str(problem) for problem in runtime.problems]
    assert any("unknown key 'colour' in pagers.slack" in line for line in found), found
    assert "c.yaml:4:7: pagers.dm: the slack pager needs `plugins: {slack:" in "".join(found)


async def test_a_dm_slack_refuses_falls_over_to_the_next_contact_method(
    paging_client, fake_slack, smtp_server
):
    runtime = paging_client.app[RUNTIME]
    fake_slack.fail("conversations.open", "user_not_found")
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    [mail] = await asyncio.to_thread(smtp_server.wait_for, 1, 10.0)
    assert mail.recipients == ["bo@example.test"]  # bo's second contact method
    entries = [e.message for e in await runtime.store.timeline(incident.id)]
    assert (
        "page to 薄波 by slack failed: Slack conversations.open: user_not_found; "
        "trying the next contact method"
    ) in entries
    assert fake_slack.dm(PEOPLE["bo"]) is None


ROOM_THEN_PAGE = """
    id: room-outage
    title: Web chat down
    steps:
      - id: room
        action: channel.open
        with: {channel: incident-room, name: outage, invite_oncall: night}
      - {id: page, action: page, with: {policy: slack-first}}
"""


async def test_whoever_is_paged_later_joins_the_room_opened_with_the_on_call_people(
    paging_client, fake_slack, eventually, clock
):
    runtime = paging_client.app[RUNTIME]
    incident = await runtime.engine.trigger("room-outage", {}, actor="test")
    await paged(runtime, fake_slack, eventually, PEOPLE["bo"])
    room = fake_slack.by_name(f"inc-{incident.id}-outage")  # night: nobody on shift to invite
    await eventually(lambda: PEOPLE["bo"] in room.members, what="bo in the room")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    clock.advance(FIVE_MINUTES)
    runtime.engine.wake()
    await paged(runtime, fake_slack, eventually, PEOPLE["ann"])
    await eventually(lambda: PEOPLE["ann"] in room.members, what="Ann in the room")

    async def noted() -> bool:  # written just after Slack answered the invitation
        notes = [e.message for e in await runtime.store.timeline(incident.id)]
        return "incident-room: invited the on-call people: Ann" in notes

    await eventually(noted, what="Ann's invitation on the timeline")
    notes = [e.message for e in await runtime.store.timeline(incident.id)]
    assert "incident-room: invited the on-call people: 薄波" in notes
