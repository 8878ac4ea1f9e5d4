"""Opening and closing incident rooms, and keeping each room's summary up to date."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from surge.channels.hub import Channels, as_room
from surge.channels.provider import ChannelError, OpenRequest, Posted, Summary
from surge.rota.model import Person
from surge.store.records import ChannelRoom, Incident, RoomState

SUMMARY_LINES = 8  # timeline entries a summary shows
_QUIET_KINDS = ("step.started", "step.waiting")  # too many to show; the outcome is shown


async def open_room(
    hub: Channels,
    incident: Incident,
    channel: str,
    *,
    name: str,
    topic: str = "",
    purpose: str = "",
    invite: Sequence[str] = (),
    people: Sequence[Person] | None = None,  # the on-call people, if asked for (else None)
    key: str,
) -> dict[str, Any]:
    """Open the incident's room on ``channel`` once; a second call returns the first room."""
    provider = hub.provider(channel)
    async with hub.lock(channel):
        stored = await hub.store.channel_room(incident.id, channel)
        if stored is not None and stored.state is not RoomState.OPENING:
            return _result(stored, again=True)
        binding = hub.bindings[channel]
        now = hub.clock()
        opening = ChannelRoom(incident.id, channel, binding.provider, RoomState.OPENING, now)
        await hub.store.save_channel_room(opening)
        request = OpenRequest(
            incident,
            name,
            topic,
            purpose,
            tuple(invite),
            key,
            recovering=stored is not None,
            people=tuple(people or ()),
        )
        room = await provider.open(request)
        # "oncall": whoever is paged for the incident later joins the room too
        data = {**room.data, "created": room.created, "oncall": people is not None}
        opened = dataclasses.replace(
            opening, state=RoomState.OPEN, room=room.id, name=room.name, url=room.url, data=data
        )
        await hub.store.save_channel_room(opened)
    await hub.note(
        incident.id,
        f"channel:{channel}",
        "channel.opened",
        f"{channel}: room {room.name or room.id} is open ({binding.provider})",
        {"channel": channel, "room": room.id, "url": room.url},
    )
    await _note_invited(hub, incident.id, channel, people or (), room.data)
    await redraw(hub, incident.id, channel)
    return _result(opened, again=False)


async def _note_invited(
    hub: Channels, incident_id: int, channel: str, people: Sequence[Person], data: dict[str, Any]
) -> None:
    """Whom of the on-call people the provider invited (``Room.data["invited"]``, their rota
    ids) and whom it could not (``missing``); a provider that says neither invites nobody."""
    if not people:
        return
    provider = hub.bindings[channel].provider
    invited, missing = list(data.get("invited") or []), list(data.get("missing") or [])
    if "invited" not in data and "missing" not in data:
        missing = [person.id for person in people]
        message = f"{channel}: {provider} invites nobody; the on-call people were not invited"
    else:
        names = ", ".join(p.name for p in people if p.id in invited) or "nobody"
        message = f"{channel}: invited the on-call people: {names}"
        if missing:
            left = ", ".join(person.name for person in people if person.id in missing)
            message += f"; not {left}: no id for them on {provider}"
    await hub.note(
        incident_id,
        f"channel:{channel}",
        "channel.invited",
        message,
        {"channel": channel, "invited": invited, "missing": missing},
    )


async def invite_paged(hub: Channels, incident_id: int, people: Sequence[Person]) -> None:
    """People paged for the incident after a room was opened with its on-call people
    (``invite_oncall``) join that room too, where its provider invites people."""
    for stored in await hub.store.channel_rooms(incident_id):
        if stored.state is not RoomState.OPEN or not stored.data.get("oncall"):
            continue
        try:
            provider = hub.provider(stored.channel)
            invited = await provider.invite_people(as_room(stored), people)
        except (LookupError, ChannelError) as error:
            names = ", ".join(person.name for person in people)
            await hub.note(
                incident_id,
                f"channel:{stored.channel}",
                "channel.error",
                f"{stored.channel}: could not invite {names}: {error}",
                {},
            )
            continue
        if invited:
            await _note_invited(hub, incident_id, stored.channel, people, dict(invited))


async def close_room(hub: Channels, incident: Incident, channel: str) -> dict[str, Any]:
    """Close the incident's room on ``channel``: a last summary, then the provider closes
    it (a Slack room surge made is archived; a fixed channel is left as it is)."""
    provider = hub.provider(channel)
    stored = await hub.store.channel_room(incident.id, channel)
    if stored is None or stored.state is RoomState.CLOSED:
        return {"channel": channel, "closed": stored is not None, "again": True}
    if stored.state is RoomState.OPEN:
        await redraw(hub, incident.id, channel)
    async with hub.lock(channel):
        if stored.room:
            await provider.close(as_room(stored))
        closed = dataclasses.replace(stored, state=RoomState.CLOSED, closed_at=hub.clock())
        await hub.store.save_channel_room(closed)
    await hub.note(
        incident.id, f"channel:{channel}", "channel.closed", f"{channel}: room closed", {}
    )
    return {**_result(closed, again=False), "closed": True}


def _result(room: ChannelRoom, *, again: bool) -> dict[str, Any]:
    return {
        "channel": room.channel,
        "provider": room.provider,
        "room": room.room,
        "name": room.name,
        "url": room.url,
        "state": room.state.value,
        "again": again,
    }


# -- summaries --


async def refresh_summaries(hub: Channels, incident_id: int) -> None:
    """Redraw the summary in every open room of the incident (after a change)."""
    for stored in await hub.store.channel_rooms(incident_id):
        if stored.state is RoomState.OPEN:
            await redraw(hub, incident_id, stored.channel)


async def redraw(hub: Channels, incident_id: int, channel: str) -> None:
    """``summarize``, one run at a time per room: never two summaries for one room."""

    async def work() -> None:
        await summarize(hub, incident_id, channel)

    await hub.summaries.run((incident_id, channel), work)


async def summarize(hub: Channels, incident_id: int, channel: str) -> None:
    """Post or update the room's summary, where its provider keeps one."""
    incident = await hub.store.get_incident(incident_id)
    stored = await hub.store.channel_room(incident_id, channel)
    if incident is None or stored is None or not stored.room:
        return
    try:
        provider = hub.provider(channel)
    except LookupError:
        return  # unbound since it was opened (config changed): nothing to update
    previous = stored.data.get("summary")
    before = Posted(str(previous), stored.room) if previous else None
    summary = await build_summary(hub, incident)
    try:
        posted = await provider.summarize(as_room(stored), summary, before)
    except ChannelError as error:
        await hub.note(
            incident_id,
            f"channel:{channel}",
            "channel.error",
            f"{channel}: the summary could not be updated: {error}",
            {},
        )
        return
    if posted is None or (before is not None and posted.ref == before.ref):
        return
    async with hub.lock(channel):
        fresh = await hub.store.channel_room(incident_id, channel)
        if fresh is not None:
            fresh.data["summary"] = posted.ref
            await hub.store.save_channel_room(fresh)


async def build_summary(hub: Channels, incident: Incident) -> Summary:
    entries = await hub.store.timeline(incident.id)
    shown = [entry for entry in entries if entry.kind not in _QUIET_KINDS][-SUMMARY_LINES:]
    lines = tuple(f"{entry.at:%H:%M} {entry.message}" for entry in shown)
    hotlines = []
    for name in hub.config.hotlines:
        record = await hub.store.hotline(incident.id, name)
        if record is not None and record.state is RoomState.OPEN and record.number:
            hotlines.append((name, record.number))
    return Summary(incident, lines, tuple(hotlines))
