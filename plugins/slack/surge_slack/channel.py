"""The ``slack`` channel provider: incident rooms, posts, pins and the room's summary.

A channel configured with ``channel:`` posts to that existing Slack channel (the agents'
channel); one without it gets a new Slack channel per incident from ``channel.open``,
named from the ``name`` template, archived by ``channel.close``. Every post carries the
step's key in Slack message metadata, so a step run again after a crash first looks for
its message in the channel's history instead of posting it twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from surge.channels.config import ChannelBinding
from surge.channels.provider import (
    ChannelError,
    ChannelProvider,
    Message,
    NoticePost,
    OpenRequest,
    Posted,
    Room,
    Summary,
)
from surge.rota.model import Person
from surge.scripts.model import LOCALES
from surge.templating import TemplateError, Templates
from surge.yamlcheck import Checker
from surge_slack.blocks import (
    message_blocks,
    notice_blocks,
    notice_text,
    summary_blocks,
    summary_text,
)
from surge_slack.workspace import SlackError, SlackWorkspace

DEFAULT_NAME = "inc-{{ incident.id }}-{{ name }}"
DEFAULT_PURPOSE = "surge incident #{{ incident.id }}: {{ incident.title }}"
DEFAULT_TOPIC = "{{ incident.title }} ({{ incident.severity }})"
METADATA_EVENT = "surge_message"
NAME_MAX = 80  # characters in a Slack channel name
_NOT_NAME = re.compile(r"[^a-z0-9_-]+")
_TEMPLATES = Templates()
_IGNORED_INVITE = {"already_in_channel", "cant_invite_self"}
KEYS = ("channel", "name", "private", "invite", "topic", "purpose", "locale")


def bind_channel(
    workspace: SlackWorkspace, binding: ChannelBinding, check: Checker
) -> ChannelProvider | None:
    what = f"channels.{binding.name}"
    fields = check.keys(binding.node, what, KEYS)
    if fields is None:
        return None
    values: dict[str, Any] = {}
    for key in ("channel", "name", "topic", "purpose"):
        if key in fields and (value := check.string(fields[key], f"{what}.{key}")):
            if key != "channel" and (problem := _TEMPLATES.syntax_error(value)):
                check.error(fields[key].pos, f"{what}.{key}: {problem[1]}")
            values[key] = value
    if "private" in fields:
        values["private"] = bool(check.boolean(fields["private"], f"{what}.private"))
    if "invite" in fields:
        values["invite"] = tuple(check.strings(fields["invite"], f"{what}.invite"))
    if "locale" in fields:
        values["locale"] = check.choice(fields["locale"], f"{what}.locale", LOCALES)
    if "channel" in values and "name" in values:
        check.error(
            fields["name"].pos,
            f"{what}: give `channel:` (an existing channel) or "
            "`name:` (a new room per incident), not both",
        )
        return None
    return SlackChannel(workspace, binding.name, **values)


class SlackChannel(ChannelProvider):
    medium = "chat"

    def __init__(
        self,
        workspace: SlackWorkspace,
        binding: str,
        *,
        channel: str | None = None,
        name: str = DEFAULT_NAME,
        private: bool = False,
        invite: tuple[str, ...] = (),
        topic: str = DEFAULT_TOPIC,
        purpose: str = DEFAULT_PURPOSE,
        locale: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.binding = binding
        self.fixed = channel
        self.name_template = name
        self.private = private
        self.invite = invite
        self.topic = topic
        self.purpose = purpose
        self.locale = locale or (workspace.settings.locale if workspace.settings else "en")

    # -- rooms --

    async def open(self, request: OpenRequest) -> Room:
        if self.fixed is not None:
            channel_id = await self.workspace.channel_id(self.fixed)
            return Room(channel_id, self.fixed.lstrip("#"))
        context = _context(request)
        base = slack_name(_render(self.name_template, context), request.incident.id)
        channel = await self._create(base, request.recovering)
        room = str(channel["id"])
        topic = request.topic or _render(self.topic, context)
        purpose = request.purpose or _render(self.purpose, context)
        await self.workspace.call("conversations.setTopic", channel=room, topic=topic[:250])
        await self.workspace.call("conversations.setPurpose", channel=room, purpose=purpose[:250])
        ids = self._slack_ids(request.people)
        oncall = [slack_id for slack_id in ids.values() if slack_id]
        await self._invite(room, [*self.invite, *request.invite, *oncall])
        data = _invited(ids) if ids else {}
        return Room(room, str(channel["name"]), created=True, data=data)

    async def invite_people(self, room: Room, people: Sequence[Person]) -> dict[str, list[str]]:
        if not room.created:
            return {}  # a fixed channel's members are its own business
        ids = self._slack_ids(people)
        await self._invite(room.id, [slack_id for slack_id in ids.values() if slack_id])
        return _invited(ids)

    def _slack_ids(self, people: Sequence[Person]) -> dict[str, str | None]:
        """Each rota person's Slack user id, or None where the rota gives none."""
        return {person.id: self.workspace.directory.slack_id(person) for person in people}

    async def _create(self, base: str, recovering: bool) -> dict[str, Any]:
        """``conversations.create``; a taken name gets a suffix (``-2``, ``-3``…), unless
        it is the room an earlier, cut-off run of this step made (ours, same name)."""
        for number in range(1, 21):
            name = base if number == 1 else f"{base[: NAME_MAX - 4]}-{number}"
            try:
                answer = await self.workspace.call(
                    "conversations.create", name=name, is_private=self.private
                )
                return dict(answer["channel"])
            except SlackError as error:
                if error.code != "name_taken":
                    raise
            if recovering:
                found = await self.workspace.find_channel(name)
                if found and found.get("creator") == await self.workspace.bot_user():
                    return found
        raise ChannelError(f"every Slack channel name like {base!r} is taken", retryable=False)

    async def _invite(self, room: str, invite: list[str]) -> None:
        users: list[str] = []
        for entry in invite:
            if entry.startswith("S"):  # a user group: invite its members
                answer = await self.workspace.call("usergroups.users.list", usergroup=entry)
                users.extend(str(user) for user in answer.get("users") or [])
            else:
                users.append(entry)
        users = list(dict.fromkeys(users))
        if not users:
            return
        try:
            await self.workspace.call("conversations.invite", channel=room, users=",".join(users))
        except SlackError as error:
            if error.code not in _IGNORED_INVITE:
                raise
            for user in users:  # someone was in already: invite the others one by one
                try:
                    await self.workspace.call("conversations.invite", channel=room, users=user)
                except SlackError as each:
                    if each.code not in _IGNORED_INVITE:
                        raise

    async def close(self, room: Room) -> None:
        if not room.created:
            return  # never archive a channel surge did not make
        try:
            await self.workspace.call("conversations.archive", channel=room.id)
        except SlackError as error:
            if error.code != "already_archived":
                raise

    # -- messages --

    async def _target(self, room: Room | None) -> str:
        if room is not None:
            return room.id
        if self.fixed is not None:
            return await self.workspace.channel_id(self.fixed)
        raise ChannelError(
            f"{self.binding} has no room for this incident: run channel.open first",
            retryable=False,
        )

    async def post(self, room: Room | None, message: Message) -> Posted:
        target = await self._target(room)
        async with self.workspace.lock(target):
            if message.recovering:
                found = await self._find(target, message.key, message.started_at)
                if found is not None:
                    return found
            answer = await self.workspace.call(
                "chat.postMessage",
                channel=target,
                text=message.text[:4000],
                blocks=message_blocks(message, self.locale),
                metadata=_metadata(message.key, message.incident.id),
                unfurl_links=False,
                unfurl_media=False,
            )
        return Posted(str(answer["ts"]), str(answer.get("channel") or target))

    async def _find(self, target: str, key: str, since: datetime | None) -> Posted | None:
        """The message an earlier attempt posted, found by its key in the history."""
        oldest = since.timestamp() - 60 if since else None
        found = await self.workspace.find_message(target, key, oldest)
        return Posted(str(found["ts"]), target) if found else None

    async def pin(self, posted: Posted) -> bool:
        try:
            await self.workspace.call("pins.add", channel=posted.room, timestamp=posted.ref)
        except SlackError as error:
            if error.code != "already_pinned":
                raise
        return True

    async def unpin(self, posted: Posted) -> bool:
        try:
            await self.workspace.call("pins.remove", channel=posted.room, timestamp=posted.ref)
        except SlackError as error:
            if error.code != "no_pin":
                raise
        return True

    async def summarize(
        self, room: Room, summary: Summary, previous: Posted | None
    ) -> Posted | None:
        incident = summary.incident
        return await self._show(
            room.id,
            f"summary:{incident.id}",
            summary_text(summary, self.locale),
            summary_blocks(summary, self.locale),
            previous,
            incident.id,
            incident.created_at,
            look=previous is None,  # a summary a cut-off run posted is found, not posted again
        )

    async def notice(
        self, room: Room | None, post: NoticePost, previous: Posted | None
    ) -> Posted | None:
        """The notice's message in the room (else the fixed channel): updated in place
        with ``chat.update``, a draft with an Approve button."""
        target = await self._target(room)
        return await self._show(
            previous.room if previous and previous.room else target,
            post.key,
            notice_text(post),
            notice_blocks(post, self.locale),
            previous,
            post.notice.incident_id or 0,
            post.notice.created_at,
            look=previous is None and post.recovering,
        )

    async def _show(
        self,
        target: str,
        key: str,
        fallback: str,
        blocks: list[dict[str, Any]],
        previous: Posted | None,
        incident_id: int,
        since: datetime,
        *,
        look: bool,
    ) -> Posted:
        """Update ``previous`` (or the message with ``key``, when ``look``ing) with
        ``chat.update``; post it when there is none, or Slack lost it."""
        async with self.workspace.lock(target):
            if look:
                previous = await self._find(target, key, since)
            if previous is not None:
                try:
                    await self.workspace.call(
                        "chat.update", channel=target, ts=previous.ref, text=fallback, blocks=blocks
                    )
                    return previous
                except SlackError as error:
                    if error.code not in ("message_not_found", "cant_update_message"):
                        raise
            answer = await self.workspace.call(
                "chat.postMessage",
                channel=target,
                text=fallback,
                blocks=blocks,
                metadata=_metadata(key, incident_id),
            )
        return Posted(str(answer["ts"]), str(answer.get("channel") or target))


def _invited(ids: dict[str, str | None]) -> dict[str, list[str]]:
    """Whom of the rota's people were invited, and whom Slack has no id for."""
    return {
        "invited": [person for person, slack_id in ids.items() if slack_id],
        "missing": [person for person, slack_id in ids.items() if not slack_id],
    }


def _metadata(key: str, incident_id: int) -> dict[str, Any]:
    """Slack message metadata carrying surge's key, to find the message again."""
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key, "incident": incident_id}}


def _context(request: OpenRequest) -> dict[str, Any]:
    incident = request.incident
    return {
        "name": request.name,
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity,
            "playbook": incident.playbook_id,
            "status": incident.status.value,
        },
    }


def _render(template: str, context: dict[str, Any]) -> str:
    try:
        return str(_TEMPLATES.render(template, context))
    except TemplateError as error:
        raise ChannelError(str(error), retryable=False) from None


def slack_name(text: str, incident_id: int) -> str:
    """A name Slack accepts: lowercase letters, digits, ``-`` and ``_``, at most 80."""
    name = _NOT_NAME.sub("-", text.lower()).strip("-_")
    name = re.sub(r"-{2,}", "-", name)[:NAME_MAX].strip("-_")
    return name or f"inc-{incident_id}"
