"""Posting a script to a channel once, falling over to its backups, and the agents'
broadcast of the incident's active script (pinned, re-posted when it changes).

A message is stored as ``sending`` before a provider is called and ``sent`` after, under
the step's key. A step run again finds ``sent`` and sends nothing; one that finds
``sending`` tells the provider it is recovering, so the provider looks before it posts.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from surge.channels.config import ChannelBinding, backup_chain
from surge.channels.hub import Channels
from surge.channels.messages import MessageRefused, content_hash
from surge.channels.provider import ChannelError, ChannelProvider, Message, Posted
from surge.scripts.rules import Rendered
from surge.store.records import ChannelMessage, Incident, MessageState

# what to send on one channel of the chain: (script id, texts), rendered for its locales
Compose = Callable[[ChannelBinding, ChannelProvider], Awaitable[tuple[str, tuple[Rendered, ...]]]]


class PostFailed(Exception):
    """No channel of the chain took the message. ``retryable``: one of them may later."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class _Outcome:
    record: ChannelMessage
    again: bool  # sent by an earlier run of the step: nothing was sent now


async def post(
    hub: Channels, incident: Incident, channel: str, key: str, compose: Compose, kind: str = "post"
) -> ChannelMessage:
    """Send on ``channel`` or, if it fails, on its backups in turn; the stored message."""
    return (await _deliver(hub, incident, channel, key, compose, kind)).record


async def _deliver(
    hub: Channels, incident: Incident, channel: str, key: str, compose: Compose, kind: str
) -> _Outcome:
    hub.provider(channel)  # an unknown or unusable channel fails before anything is stored
    async with hub.lock(channel):
        existing = await hub.store.channel_message(key)
        if existing is not None and existing.state is MessageState.SENT:
            return _Outcome(existing, again=True)
        now = hub.clock()
        record = ChannelMessage(
            key,
            incident.id,
            channel,
            kind,
            MessageState.SENDING,
            started_at=existing.started_at if existing else now,
            updated_at=now,
        )
        chain = _chain(hub, channel, existing)
        errors: list[str] = []
        retryable = False
        for target in chain:
            record = dataclasses.replace(record, delivered_to=target.name, updated_at=hub.clock())
            await hub.store.save_channel_message(record)
            try:
                sent = await _send(hub, incident, target, record, compose, existing is not None)
            except (ChannelError, MessageRefused, LookupError) as error:
                retryable = retryable or getattr(error, "retryable", False)
                errors.append(f"{target.name} ({target.provider}): {error}")
                await _failed_over(hub, incident, target, chain, error)
                continue
            if target.name != channel:
                await _delivered_to_backup(hub, incident, channel, target)
            return _Outcome(sent, again=False)
        failed = dataclasses.replace(
            record, state=MessageState.FAILED, error="; ".join(errors)[:2000]
        )
        await hub.store.save_channel_message(failed)
    raise PostFailed("no channel took the message: " + "; ".join(errors), retryable=retryable)


def _chain(hub: Channels, channel: str, existing: ChannelMessage | None) -> list[ChannelBinding]:
    """The channel and its backups; a run that was cut off resumes at the channel it was
    trying, since the ones before it had refused."""
    chain = backup_chain(hub.bindings, channel)
    if existing is not None and existing.state is MessageState.SENDING:
        names = [binding.name for binding in chain]
        if existing.delivered_to in names:
            return chain[names.index(existing.delivered_to) :]
    return chain


async def _send(
    hub: Channels,
    incident: Incident,
    target: ChannelBinding,
    record: ChannelMessage,
    compose: Compose,
    recovering: bool,
) -> ChannelMessage:
    provider = hub.provider(target.name)
    script_id, texts = await compose(target, provider)
    room = await hub.room(incident.id, target.name)
    message = Message(
        incident,
        f"{record.key}:{target.name}",
        script_id,
        texts,
        record.kind,
        record.started_at,
        recovering,
    )
    try:
        posted = await provider.post(room, message)
    except (ChannelError, asyncio.CancelledError):
        raise
    except Exception as error:  # a provider's bug fails this channel, not the engine
        raise ChannelError(f"{type(error).__name__}: {error}") from error
    sent = dataclasses.replace(
        record,
        state=MessageState.SENT,
        provider=target.provider,
        room=posted.room,
        ref=posted.ref,
        script_id=script_id,
        content_hash=content_hash(texts),
        updated_at=hub.clock(),
        error="",
    )
    await hub.store.save_channel_message(sent)
    return sent


async def _failed_over(
    hub: Channels,
    incident: Incident,
    target: ChannelBinding,
    chain: list[ChannelBinding],
    error: Exception,
) -> None:
    following = chain[chain.index(target) + 1 :]
    then = f"; trying {following[0].name} ({following[0].provider})" if following else ""
    await hub.note(
        incident.id,
        f"channel:{target.name}",
        "channel.failover" if following else "channel.error",
        f"{target.name} ({target.provider}) did not take the message: {error}{then}",
        {"channel": target.name, "backup": following[0].name if following else None},
    )


async def _delivered_to_backup(
    hub: Channels, incident: Incident, channel: str, target: ChannelBinding
) -> None:
    await hub.note(
        incident.id,
        f"channel:{channel}",
        "channel.failover",
        f"{channel}: the message went to the backup channel {target.name} ({target.provider})",
        {"channel": channel, "delivered_to": target.name},
    )


def result(record: ChannelMessage, *, again: bool = False) -> dict[str, Any]:
    """What a channel step returns: where the message went and the provider's id for it."""
    return {
        "channel": record.channel,
        "delivered_to": record.delivered_to,
        "failed_over": record.delivered_to != record.channel,
        "provider": record.provider,
        "room": record.room,
        "ref": record.ref,
        "script": record.script_id,
        "pinned": record.pinned,
        "again": again,
    }


# -- the agents' broadcast --


async def broadcast(
    hub: Channels, incident: Incident, channel: str, key: str, compose: Compose
) -> dict[str, Any]:
    """Post the incident's active script on ``channel`` and pin it; when an earlier
    broadcast there showed the same text, keep that one. A changed script is posted as
    a new message, pinned, and the old one unpinned."""
    earlier = [
        item
        for item in await hub.store.channel_messages(incident.id, channel=channel, kind="script")
        if item.state is MessageState.SENT and item.key != key
    ]
    latest = earlier[-1] if earlier else None
    if latest is not None and await _unchanged(hub, latest, compose):
        return {**result(latest, again=True), "unchanged": True}
    outcome = await _deliver(hub, incident, channel, key, compose, "script")
    record = await _pin(hub, outcome.record)
    if latest is not None and latest.pinned and not outcome.again:
        await _unpin(hub, latest)
    return {**result(record, again=outcome.again), "unchanged": False}


async def _unchanged(hub: Channels, latest: ChannelMessage, compose: Compose) -> bool:
    target = hub.bindings.get(latest.delivered_to)
    if target is None:
        return False
    try:
        _, texts = await compose(target, hub.provider(target.name))
    except (MessageRefused, LookupError):
        return False
    return content_hash(texts) == latest.content_hash


async def _pin(hub: Channels, record: ChannelMessage) -> ChannelMessage:
    if record.pinned:
        return record
    provider = hub.provider(record.delivered_to)
    try:
        pinned = await provider.pin(Posted(record.ref, record.room))
    except ChannelError as error:
        await hub.note(
            record.incident_id,
            f"channel:{record.delivered_to}",
            "channel.error",
            f"{record.delivered_to}: the script was posted but not pinned: {error}",
            {},
        )
        return record
    if not pinned:
        return record
    record = dataclasses.replace(record, pinned=True, updated_at=hub.clock())
    await hub.store.save_channel_message(record)
    return record


async def _unpin(hub: Channels, record: ChannelMessage) -> None:
    try:
        provider = hub.provider(record.delivered_to)
        await provider.unpin(Posted(record.ref, record.room))
    except (ChannelError, LookupError):
        return  # an old pin left in place harms less than failing the broadcast
    await hub.store.save_channel_message(
        dataclasses.replace(record, pinned=False, updated_at=hub.clock())
    )
