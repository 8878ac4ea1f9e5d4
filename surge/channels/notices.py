"""Status notices shown on channels: a built-in plugin, one per runtime (like the room
summaries), that shows each drafted and published version of a notice where the config
and the step want it.

A channel bound with ``notices: all`` shows drafts (for someone with the publish
permission to approve: Slack offers an Approve button) and published versions;
``notices: published`` only published ones. A ``notice.*`` step's ``channels:`` shows the
version it published there too. Each notice has one message per channel, posted for its
first version there and updated in place for every later one (table
``channel_notices``): written as ``sending`` before the provider is called, so a call
cut off by a crash makes the provider look before it posts again.
"""

from __future__ import annotations

import dataclasses
import logging

from surge.channels.hub import Channels
from surge.channels.provider import ChannelError, NoticePost, Posted
from surge.notices.model import Notice, NoticeVersion
from surge.plugin import hookimpl
from surge.store.records import ChannelNotice, MessageState

log = logging.getLogger(__name__)


class NoticeRelay:
    """Shows notices on the runtime's channels (set ``channels`` once it is built)."""

    def __init__(self) -> None:
        self.channels: Channels | None = None

    @hookimpl
    async def surge_notice_drafted(self, notice: Notice, version: NoticeVersion) -> None:
        if self.channels is not None:
            await show(self.channels, notice, version)

    @hookimpl
    async def surge_notice_published(self, notice: Notice, version: NoticeVersion) -> None:
        if self.channels is not None:
            await show(self.channels, notice, version)


async def show(hub: Channels, notice: Notice, version: NoticeVersion) -> None:
    """Show ``version`` on every channel that should have it."""
    for channel in await targets(hub, notice, version):
        await show_on(hub, notice, version, channel)


async def targets(hub: Channels, notice: Notice, version: NoticeVersion) -> list[str]:
    """The channels bound to show it, then those its step named, each once."""
    wanted = ("all", "published") if version.is_published else ("all",)
    found = [name for name, binding in hub.bindings.items() if binding.notices in wanted]
    if version.is_published and version.key and notice.incident_id is not None:
        for run in await hub.store.runs(notice.incident_id):
            if run.idempotency_key.rsplit(":", 1)[0] == version.key:
                found.extend(str(name) for name in (run.args or {}).get("channels") or [])
                break
    return list(dict.fromkeys(found))


async def show_on(hub: Channels, notice: Notice, version: NoticeVersion, channel: str) -> None:
    try:
        provider = hub.provider(channel)
    except LookupError as error:
        await _note(hub, notice, channel, f"notice {notice.id} not shown: {error}")
        return
    async with hub.lock(channel):
        stored = await hub.store.channel_notice(notice.id, channel)
        shown = (version.number, version.is_published)
        done = stored is not None and stored.state is MessageState.SENT
        if done and stored is not None and (stored.version, stored.published) >= shown:
            return  # it shows this version, or a later one, already
        record = ChannelNotice(
            notice.id,
            channel,
            MessageState.SENDING,
            hub.clock(),
            hub.bindings[channel].provider,
            stored.room if stored else "",
            stored.ref if stored else "",
            version.number,
            version.is_published,
        )
        await hub.store.save_channel_notice(record)
        room = await hub.room(notice.incident_id, channel) if notice.incident_id else None
        previous = Posted(stored.ref, stored.room) if stored and stored.ref else None
        post = NoticePost(
            notice,
            version,
            f"notice:{notice.id}:{channel}",
            hub.bindings[channel].locales,
            recovering=stored is not None and not stored.ref,
        )
        try:
            posted = await provider.notice(room, post, previous)
        except ChannelError as error:
            failed = dataclasses.replace(record, state=MessageState.FAILED, error=str(error))
            await hub.store.save_channel_notice(failed)
            await _note(hub, notice, channel, f"notice {notice.id} not shown: {error}")
            return
        sent = dataclasses.replace(record, state=MessageState.SENT, updated_at=hub.clock())
        if posted is not None:
            sent = dataclasses.replace(sent, room=posted.room, ref=posted.ref)
        await hub.store.save_channel_notice(sent)
    if posted is not None:
        what = "published" if version.is_published else "draft, to approve"
        await _note(
            hub, notice, channel, f"notice {notice.id} version {version.number} shown ({what})"
        )


async def _note(hub: Channels, notice: Notice, channel: str, message: str) -> None:
    """On the notice's incident's timeline; a notice without an incident only logs."""
    if notice.incident_id is None:
        log.info("%s: %s", channel, message)
        return
    data = {"channel": channel, "notice": notice.id}
    await hub.note(
        notice.incident_id, f"channel:{channel}", "channel.notice", f"{channel}: {message}", data
    )
