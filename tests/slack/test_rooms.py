"""Incident rooms on Slack: created from the name template, topic, purpose, invitations, a
summary that follows the incident, archived when it is over."""

from __future__ import annotations

from typing import Any

from support.slack import BOT, RESPONDER

from surge.store.records import IncidentStatus, RoomState

ROOM_PLAYBOOK = """
    id: outage
    title: Web chat down
    severity: critical
    params: {channel: {type: string, default: web-chat}}
    steps:
      - id: room
        action: channel.open
        with: {channel: incident-room, name: "outage {{ params.channel }}", invite: [U0RESP02]}
      - id: hold
        action: wait
        with: {until: acknowledged, timeout: 1h}
    on_resolve:
      - id: close-room
        action: channel.close
        with: {channel: incident-room}
"""


async def test_a_room_is_created_named_topic_purpose_invited_and_summarised(
    fake_slack, slack_runtime, write_playbook, eventually
):
    fake_slack.add_users("U0RESP02")
    write_playbook("outage", ROOM_PLAYBOOK)
    runtime = await slack_runtime()
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await eventually(lambda: fake_slack.calls_of("chat.postMessage"), what="the summary")
    room = fake_slack.by_name(f"inc-{incident.id}-outage-web-chat")
    assert room.creator == BOT and not room.is_private
    assert room.topic == "Web chat down (critical)"
    assert room.purpose == f"surge incident #{incident.id}: Web chat down"
    # the binding's people and group members, then the step's: one invitation
    assert room.members == {BOT, RESPONDER, "U0GRP001", "U0GRP002", "U0RESP02"}
    [invite] = fake_slack.calls_of("conversations.invite")
    assert invite.args["users"] == f"{RESPONDER},U0GRP001,U0GRP002,U0RESP02"
    [summary] = room.messages
    buttons = summary["blocks"][-1]
    assert [item["action_id"] for item in buttons["elements"]] == [
        "surge.ack",
        "surge.escalate",
        "surge.resolve",
    ]
    assert {item["value"] for item in buttons["elements"]} == {str(incident.id)}

    async def summary_kept() -> Any:  # written just after Slack took the post
        stored = await runtime.store.channel_room(incident.id, "incident-room")
        return stored if stored is not None and "summary" in stored.data else None

    stored = await eventually(summary_kept, what="the summary's ts in the store")
    assert stored.state is RoomState.OPEN
    assert stored.room == room.id and stored.data["summary"] == summary["ts"]

    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "lee")
    await eventually(
        lambda: "acknowledged" in str(room.messages[0]["blocks"]), what="the summary update"
    )
    assert len(room.messages) == 1  # updated in place with chat.update, not posted again
    assert fake_slack.calls_of("chat.update")

    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "lee")
    await eventually(lambda: room.is_archived, what="the room to be archived")
    assert room.messages[0]["blocks"][-1]["type"] != "actions"  # no buttons once resolved
    stored = await runtime.store.channel_room(incident.id, "incident-room")
    assert stored is not None and stored.state is RoomState.CLOSED


async def test_a_taken_name_gets_a_suffix_and_a_rerun_opens_no_second_room(
    fake_slack, slack_runtime, write_playbook, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Rooms
        steps:
          - {id: room, action: channel.open, with: {channel: incident-room, name: war}}
          - {id: again, action: channel.open, with: {channel: incident-room, name: war}}
        """,
    )
    runtime = await slack_runtime()
    fake_slack.add_channel("inc-1-war")  # someone made a channel with the name already
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.status.value for run in runs] == ["succeeded", "succeeded"]
    assert runs[0].result["name"] == "inc-1-war-2"
    assert runs[1].result["again"] is True and runs[1].result["room"] == runs[0].result["room"]
    names = [call.args["name"] for call in fake_slack.calls_of("conversations.create")]
    assert names == ["inc-1-war", "inc-1-war-2"]


async def test_a_fixed_channel_is_never_archived(
    fake_slack, slack_runtime, write_playbook, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Agents
        steps:
          - {id: open, action: channel.open, with: {channel: agents, name: ignored}}
          - {id: close, action: channel.close, with: {channel: agents}}
        """,
    )
    runtime = await slack_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.status.value for run in runs] == ["succeeded", "succeeded"]
    assert not fake_slack.calls_of("conversations.create")
    assert not fake_slack.calls_of("conversations.archive")
    assert not fake_slack.by_name("cs-agents").is_archived
