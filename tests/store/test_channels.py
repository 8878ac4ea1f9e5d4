"""The backup-channel tables on every backend: rooms, messages and hotlines replaced by
their keys, messages filtered in order, and waits on the status woken with a signal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from store.conftest import NOW, incident, run

from surge.store.records import (
    ChannelMessage,
    ChannelNotice,
    ChannelRoom,
    HotlineRecord,
    MessageState,
    RoomState,
    RunStatus,
)

LATER = NOW + timedelta(minutes=5)


async def test_rooms_are_one_per_channel_and_replaced_in_place(store):
    created = await store.create_incident(incident(), [], [])
    opening = ChannelRoom(created.id, "incident-room", "slack", RoomState.OPENING, NOW)
    await store.save_channel_room(opening)
    assert await store.channel_room(created.id, "incident-room") == opening
    opened = replace(
        opening, state=RoomState.OPEN, room="C42", name="inc-1-上海", url="https://x/C42",
        data={"summary_ts": "1.5"},
    )  # fmt: skip
    await store.save_channel_room(opened)
    agents = ChannelRoom(created.id, "agents", "email", RoomState.OPEN, LATER, room="list@x")
    await store.save_channel_room(agents)
    closed = replace(opened, state=RoomState.CLOSED, closed_at=LATER)
    await store.save_channel_room(closed)
    assert await store.channel_rooms(created.id) == [closed, agents]  # in the order opened
    assert await store.channel_room(created.id, "nowhere") is None


async def test_messages_are_kept_by_key_and_listed_oldest_first(store):
    created = await store.create_incident(incident(), [], [])
    sending = ChannelMessage(
        f"{created.id}:steps:tell:1", created.id, "incident-room", "post", MessageState.SENDING,
        NOW, NOW,
    )  # fmt: skip
    await store.save_channel_message(sending)
    sent = replace(
        sending, state=MessageState.SENT, updated_at=LATER, delivered_to="agents",
        provider="email", room="list@x", ref="<m1@x>", script_id="outage", content_hash="ab",
        pinned=True,
    )  # fmt: skip
    await store.save_channel_message(sent)
    script = ChannelMessage(
        f"{created.id}:script", created.id, "agents", "script", MessageState.FAILED, LATER,
        LATER, error="every provider refused it",
    )  # fmt: skip
    await store.save_channel_message(script)
    assert await store.channel_message(sent.key) == sent
    assert await store.channel_messages(created.id) == [sent, script]
    assert await store.channel_messages(created.id, channel="agents") == [script]
    assert await store.channel_messages(created.id, kind="post") == [sent]
    assert await store.channel_messages(created.id, channel="agents", kind="post") == []
    assert await store.channel_message("nope") is None


async def test_a_hotline_is_one_per_incident_and_name(store):
    created = await store.create_incident(incident(), [], [])
    assert await store.hotline(created.id, "support") is None
    line = HotlineRecord(created.id, "support", RoomState.OPEN, NOW, number="+86 400 000 0000")
    await store.save_hotline(line)
    closed = replace(line, state=RoomState.CLOSED, closed_at=LATER)
    await store.save_hotline(closed)
    assert await store.hotline(created.id, "support") == closed


async def test_a_signal_wakes_only_the_waits_on_the_status_and_says_why(store):
    created = await store.create_incident(incident(), [run("on-status"), run("timer", 1)], [])
    claimed = await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10)
    for each in claimed:
        on_status = each.step_id == "on-status"
        assert await store.defer_run(each.id, "e", LATER, {"k": 1}, on_status, [], NOW)
    soon = NOW + timedelta(seconds=10)
    woken = await store.signal_waits(created.id, {"escalate": "ann"}, soon)
    assert woken == 1
    runs = {r.step_id: r for r in await store.runs(created.id)}
    assert runs["on-status"].due_at == soon
    assert runs["on-status"].resume == {"k": 1, "signal": {"escalate": "ann"}}
    assert (runs["timer"].due_at, runs["timer"].resume) == (LATER, {"k": 1})
    assert all(r.status is RunStatus.WAITING for r in runs.values())
    assert await store.signal_waits(created.id + 1, {"escalate": "ann"}, soon) == 0


async def test_a_notice_has_one_message_per_channel_replaced_in_place(store):
    sending = ChannelNotice(7, "incident-room", MessageState.SENDING, NOW, "slack", version=1)
    await store.save_channel_notice(sending)
    assert await store.channel_notice(7, "incident-room") == sending
    sent = replace(sending, state=MessageState.SENT, room="C42", ref="1.5", updated_at=LATER)
    await store.save_channel_notice(sent)
    shown = replace(sent, version=2, published=True, error="", updated_at=LATER)
    await store.save_channel_notice(shown)
    other = ChannelNotice(7, "agents", MessageState.FAILED, NOW, "slack", error="x" * 3000)
    await store.save_channel_notice(other)
    assert await store.channel_notice(7, "incident-room") == shown
    stored = await store.channel_notice(7, "agents")
    assert stored is not None and len(stored.error) == 2000  # kept short
    assert await store.channel_notice(8, "agents") is None
