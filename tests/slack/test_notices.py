"""Status notices on Slack: a draft is posted with an Approve button that only someone who
may publish can press; pressing it publishes the notice, and every later version updates
the same message with chat.update."""

from __future__ import annotations

import pytest
import surge_slack.plugin
from support.slack import PEOPLE, VIEWER, action_body, signed

from surge.notices.model import ComponentStatus, NoticeState, VersionStatus
from surge.notices.service import Draft
from surge.store.records import AuditQuery, MessageState
from surge.web.app import create_app
from surge.web.keys import RUNTIME

from .conftest import approve_all

OUTAGE = {"service": "在线客服", "impact": "无法发起会话", "eta": "15:30", "workaround": "拨打热线"}
MAJOR = ComponentStatus.MAJOR_OUTAGE
CHANNELS = """
channels:
  incident-room: {provider: slack, name: "inc-{{ incident.id }}-{{ name }}"}
  comms: {provider: slack, channel: cs-comms, notices: all, locales: [zh-CN, en]}
  agents: {provider: slack, channel: cs-agents, notices: published, locales: [zh-CN]}
components:
  - {id: web-chat, name: {zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}}
"""
ACTIONS = "/api/v1/slack/actions"


def outage(**changes) -> Draft:
    fields = {"script": "outage-initial", "vars": OUTAGE, "components": {"web-chat": MAJOR}}
    return Draft(**{**fields, **changes})


@pytest.fixture
async def client(slack_config, aiohttp_client, probe, with_rota, fake_slack):
    fake_slack.add_channel("cs-comms")
    app = create_app(
        slack_config(channels=CHANNELS, extra=with_rota),
        extra_plugins=[probe, surge_slack.plugin],
        load_entry_points=False,
    )
    assert not app[RUNTIME].problems, app[RUNTIME].problems
    started = await aiohttp_client(app)
    await approve_all(app[RUNTIME])
    return started


async def approve(client, fake_slack, value, user):
    body = action_body("surge.approve_notice", value, user, f"{fake_slack.url[:-4]}response/{user}")
    response = await client.post(ACTIONS, data=body, headers=signed(body))
    assert response.status == 200
    return fake_slack.responses[-1][1]["text"]


async def test_a_draft_is_approved_from_slack_and_each_version_updates_the_message(
    client, fake_slack, eventually
):
    runtime = client.app[RUNTIME]
    notices = runtime.engine.services.notices
    comms, agents = fake_slack.by_name("cs-comms"), fake_slack.by_name("cs-agents")
    drafted = await notices.draft(outage(), author="kim")
    notice = drafted.notice
    await eventually(lambda: comms.messages, what="the draft in cs-comms")
    [message] = comms.messages
    header, zh, en, context, waiting, actions = message["blocks"]
    assert header["text"]["text"] == "📢 在线客服服务异常"
    assert zh["text"]["text"].startswith("在线客服服务异常\n【在线客服故障通知】")
    assert en["text"]["text"].startswith("在线客服 is having problems\n")
    assert context["elements"][0]["text"] == (
        f"Notice #{notice.id} v1 · investigating · web-chat: major outage"
    )
    assert waiting["text"]["text"].startswith("Drafted by kim; waiting for someone")
    [button] = actions["elements"]
    assert (button["action_id"], button["value"]) == ("surge.approve_notice", f"{notice.id}:1")
    assert message["metadata"]["event_payload"]["key"] == f"notice:{notice.id}:comms"
    assert agents.messages == []  # agents see published versions only

    # a viewer may not approve; Mei (comms in the rota) may
    refused = await approve(client, fake_slack, f"{notice.id}:1", VIEWER)
    assert refused == "您的角色 viewer 不能发布公告，需要：comms, admin。"
    assert (await notices.versions(notice.id))[0].status is VersionStatus.DRAFT
    done = await approve(client, fake_slack, f"{notice.id}:1", PEOPLE["mei"])
    assert done == f"公告 #{notice.id} 第 1 版已發布。"
    [version] = await notices.versions(notice.id)
    assert version.status is VersionStatus.PUBLISHED and version.published_by == "slack:mei"

    await eventually(lambda: agents.messages, what="the published notice for the agents")
    await eventually(lambda: comms.messages[0].get("edited"), what="the draft updated")
    assert len(comms.messages) == 1  # the same message, without its button
    assert all(block["type"] != "actions" for block in comms.messages[0]["blocks"])
    assert comms.messages[0]["blocks"][-1]["elements"][0]["text"] == "Published by slack:mei."
    [shown] = agents.messages
    assert [b["type"] for b in shown["blocks"]] == ["header", "section", "context", "context"]

    # an update: both messages change in place
    updates = len(fake_slack.calls_of("chat.update"))
    await notices.publish_new(
        outage(state=NoticeState.IDENTIFIED), author="kim", notice_id=notice.id
    )
    await eventually(
        lambda: len(fake_slack.calls_of("chat.update")) == updates + 2, what="two updates"
    )
    assert (len(comms.messages), len(agents.messages)) == (1, 1)
    assert "v2 · identified" in str(agents.messages[0]["blocks"])

    async def kept() -> bool:  # written just after Slack answered
        stored = await runtime.store.channel_notice(notice.id, "agents")
        return stored.state is MessageState.SENT and (stored.version, stored.published) == (
            2,
            True,
        )

    await eventually(kept, what="the version shown kept in the store")
    assert (await runtime.store.channel_notice(notice.id, "agents")).ref == shown["ts"]

    again = await approve(client, fake_slack, f"{notice.id}:1", PEOPLE["mei"])
    assert "is published already" in again
    entries = await runtime.store.audit_entries(AuditQuery(action="notice.publish"))
    assert [(e.actor, e.outcome.value) for e in reversed(entries)] == [
        ("slack:vic", "denied"),
        ("slack:mei", "ok"),
    ]
    assert await approve(client, fake_slack, "9999:1", PEOPLE["mei"]) == "沒有公告 9999。"


STEPS = """
    id: outage
    title: Web chat down
    steps:
      - {id: room, action: channel.open, with: {channel: incident-room, name: outage}}
      - id: notice
        action: notice.publish
        with:
          script: outage-initial
          vars: {service: 在线客服, impact: 无法发起会话, eta: "15:30", workaround: 拨打热线}
          components: {web-chat: major_outage}
          channels: [incident-room]
      - id: update
        action: notice.update
        with:
          script: outage-initial
          state: identified
          vars: {service: 在线客服, impact: 无法发起会话, eta: "16:00", workaround: 拨打热线}
          channels: [incident-room]
"""


async def test_a_steps_channels_show_its_notice_in_the_incident_room(
    fake_slack, slack_runtime, write_playbook, wait_settled, eventually
):
    fake_slack.add_channel("cs-comms")
    write_playbook("outage", STEPS)
    runtime = await slack_runtime(channels=CHANNELS)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_settled(runtime, incident.id)
    room = fake_slack.by_name(f"inc-{incident.id}-outage")

    async def shown_twice() -> bool:  # the note comes just after the record
        entries = [e.message for e in await runtime.store.timeline(incident.id)]
        return "incident-room: notice 1 version 2 shown (published)" in entries

    await eventually(shown_twice, within=15, what="both versions in the room")
    stored = await runtime.store.channel_notice(1, "incident-room")
    assert stored is not None and stored.version == 2
    notices = [m for m in room.messages if "notice:" in str(m.get("metadata"))]
    assert len(notices) == 1 and notices[0].get("edited")
    assert "16:00" in str(notices[0]["blocks"])
    assert len(fake_slack.by_name("cs-agents").messages) == 1  # bound: published ones


async def test_a_version_slack_refused_is_kept_failed_and_the_next_one_is_shown(
    fake_slack, slack_runtime, eventually
):
    fake_slack.add_channel("cs-comms")
    runtime = await slack_runtime(channels=CHANNELS)
    notices = runtime.engine.services.notices
    fake_slack.fail("chat.postMessage", "not_in_channel", times=2)
    first = await notices.publish_new(outage(), author="kim")
    notice_id = first.notice.id

    async def state(channel: str) -> MessageState | None:
        stored = await runtime.store.channel_notice(notice_id, channel)
        return stored.state if stored is not None else None

    async def both(wanted: MessageState) -> bool:
        return await state("comms") is wanted and await state("agents") is wanted

    await eventually(lambda: both(MessageState.FAILED), what="both refused")
    stored = await runtime.store.channel_notice(notice_id, "agents")
    assert stored.error == "Slack chat.postMessage: not_in_channel" and stored.ref == ""
    await notices.publish_new(
        outage(state=NoticeState.IDENTIFIED), author="kim", notice_id=notice_id
    )
    await eventually(lambda: both(MessageState.SENT), what="the next version shown")
    for name in ("cs-comms", "cs-agents"):
        [message] = fake_slack.by_name(name).messages
        assert "v2 · identified" in str(message["blocks"])
