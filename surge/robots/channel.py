"""A channel that posts to one chat group through its group robot, whatever the platform.

A robot posts into the group it was added to; it opens no room, archives nothing and
pins nothing, and it cannot edit what it posted. So:

- ``channel.open`` names the fixed group and posts the incident's summary there;
- ``channel.post`` and ``channel.broadcast_script`` post the script (one paragraph per
  locale, the script header for a broadcast) with the channel's ``mention:`` people
  resolved from the rota at that moment; a text longer than the platform takes is sent
  as parts, in order, in one turn of the robot's queue;
- the summary is posted again only when something it shows at the top changed (status,
  severity, title, a hotline), as an update that names the summary it follows, since
  the earlier message cannot be changed;
- a message held back by the rate limit says so on the incident's timeline.

A step run again after a crash cut it off mid-send sends the message again: a robot
keeps no history to look in and de-duplicates nothing, and a message twice in a group
harms less than none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp

from surge.channels.provider import (
    ChannelProvider,
    Message,
    NoticePost,
    OpenRequest,
    Posted,
    Room,
    Summary,
)
from surge.durations import format_duration
from surge.robots.mentions import Mention, MentionTarget, resolve
from surge.robots.queue import Hold, robot_queue
from surge.robots.robot import Body, Robot
from surge.robots.split import split_text, truncate
from surge.robots.texts import text
from surge.rota.model import Person, Rota

TITLE_LIMIT = 64  # characters of a title (notification line, card header)
Session = Callable[[], aiohttp.ClientSession]


@dataclass(frozen=True)
class GroupSettings:
    """The keys every robot channel has, besides its platform's own."""

    group: str = ""  # the group's name, as people know it (shown in notes and results)
    mention: tuple[MentionTarget, ...] = ()
    locale: str = "zh-CN"  # of the few words surge adds (headers, labels)
    extra: dict[str, str] = field(default_factory=dict)


class RobotChannel(ChannelProvider):
    medium = "chat"

    def __init__(
        self,
        robot: Robot,
        channel: str,
        settings: GroupSettings,
        session: Session,
        rota: Callable[[], Rota | None],
    ) -> None:
        self.robot = robot
        self.channel = channel
        self.settings = settings
        self.session = session
        self.rota = rota

    @property
    def group(self) -> str:
        return self.settings.group or self.channel

    # -- rooms --

    async def open(self, request: OpenRequest) -> Room:
        """The fixed group. A robot cannot add people to a group: the on-call people to
        invite (``invite_oncall``) are mentioned in the first summary instead (``invited``),
        and those the platform has no id for are ``missing``."""
        invited, missing = self._split(request.people)
        data = {
            "platform": self.robot.platform,
            "incident": request.incident.id,
            "invited": invited,
            "missing": missing,
        }
        return Room(self.group, self.group, created=False, data=data)

    async def invite_people(self, room: Room, people: Sequence[Person]) -> dict[str, list[str]]:
        """Someone paged after the room opened: mentioned in the group, as an invitation."""
        invited, missing = self._split(people)
        mentions = [found for person in people if (found := self.robot.mention(person))]
        if mentions and (incident := room.data.get("incident")) is not None:
            locale = self.settings.locale
            names = "、".join(person.name for person in people if person.id in invited)
            body = text("join", locale, names=self.robot.defuse(names))
            await self.send(int(incident), text("join_title", locale), body, mentions)
        return {"invited": invited, "missing": missing}

    def _split(self, people: Sequence[Person]) -> tuple[list[str], list[str]]:
        """The rota ids of ``people`` this platform can mention, and of those it cannot."""
        invited = [person.id for person in people if self.robot.mention(person)]
        return invited, [person.id for person in people if person.id not in invited]

    # -- messages --

    async def post(self, room: Room | None, message: Message) -> Posted:
        mentions = self._mentions(message.started_at)  # who was on when it was asked for
        title = _title(message, self.settings.locale)
        body = compose(self.robot, message, self.settings.locale)
        await self.send(message.incident.id, title, body, mentions)
        return Posted(message.key, self.group)

    async def notice(
        self, room: Room | None, post: NoticePost, previous: Posted | None
    ) -> Posted | None:
        """A notice's version as a new message (a robot cannot edit the earlier one): a
        draft says it waits for approval, a later version which one it replaces; a
        published one mentions the channel's ``mention:`` people."""
        locale = self.settings.locale
        notice, version = post.notice, post.version
        earlier = NoticeRef.read(previous.ref) if previous else None
        lines: list[str] = []
        if post.draft:
            lines.append(_bold(self.robot, text("notice_draft", locale, n=version.number)))
        elif earlier is not None:
            lines.append(text("notice_update", locale, n=version.number, before=earlier.number))
        for _, title, body in post.texts():
            if title:
                lines.append(_bold(self.robot, self.robot.defuse(title)))
            lines.append(self.robot.defuse(body))
        state = text(version.state.value, locale)
        lines.append(f"— surge · {text('notice', locale)} #{notice.id} · {state}")
        mentions = [] if post.draft else self._mentions(version.published_at)
        head = next((title for _, title, _ in post.texts() if title), text("notice", locale))
        title = truncate(f"{text('notice', locale)} #{notice.id} {head}", TITLE_LIMIT, "chars")
        await self.send(notice.incident_id, title, "\n\n".join(lines), mentions)
        return Posted(NoticeRef(version.number).write(post.key), self.group)

    async def send(
        self, incident_id: int | None, title: str, body: str, mentions: Sequence[Mention]
    ) -> int:
        """Post ``body`` in parts that fit, the mentions with the first; how many parts.
        A wait for the rate limit is noted on the incident's timeline."""

        async def hold(seconds: float, why: str, waiting: int) -> None:
            if incident_id is None:
                return  # a notice of no incident: there is no timeline to tell
            behind = f", {waiting} more waiting behind it" if waiting else ""
            await self.note(
                incident_id,
                "channel.throttled",
                f"{self.channel} ({self.robot.platform}): {why}; holding a message "
                f"{format_duration(seconds)} to keep the order{behind}",
                {"channel": self.channel, "seconds": round(seconds, 3), "waiting": waiting},
            )

        return await deliver(
            self.robot, self.session(), title, body, mentions, self.settings.locale, hold
        )

    async def summarize(
        self, room: Room, summary: Summary, previous: Posted | None
    ) -> Posted | None:
        head = _head(summary)
        earlier = SummaryRef.read(previous.ref) if previous else None
        if earlier is not None and earlier.digest == head:
            return previous  # nothing at the top changed: no new message in the group
        locale = self.settings.locale
        lines = summary_lines(self.robot, summary, locale)
        if earlier is not None:
            lines.insert(0, text("update", locale, n=earlier.number, at=earlier.at))
        incident = summary.incident
        title = truncate(f"#{incident.id} {incident.title}", TITLE_LIMIT, "chars")
        mentions = self._invited(room) if earlier is None else []
        await self.send(incident.id, title, "\n".join(lines), mentions)
        number = earlier.number + 1 if earlier else 1
        at = datetime.now(UTC).strftime("%H:%M UTC")
        return Posted(SummaryRef(number, head, at).write(), room.id)

    def _mentions(self, at: datetime | None) -> list[Mention]:
        """The channel's ``mention:`` people on the rota at ``at`` (now, if None)."""
        people = resolve(self.rota(), self.settings.mention, at or datetime.now(UTC))
        return [found for person in people if (found := self.robot.mention(person))]

    def _invited(self, room: Room) -> list[Mention]:
        """The on-call people ``open`` was asked to invite, as mentions."""
        rota = self.rota()
        if rota is None:
            return []
        people = [rota.people[p] for p in room.data.get("invited") or [] if p in rota.people]
        return [found for person in people if (found := self.robot.mention(person))]


async def deliver(
    robot: Robot,
    http: aiohttp.ClientSession,
    title: str,
    body: str,
    mentions: Sequence[Mention],
    locale: str,
    hold: Hold | None,
) -> int:
    """Send ``body`` through ``robot``'s queue in parts that fit, the mentions with the
    first part, all in one turn; how many parts it took."""
    parts = fit(robot, body, robot.mention_text(mentions), locale)
    calls: list[Callable[[], Awaitable[Body]]] = []
    for number, part in enumerate(parts):
        for item in robot.bodies(part, title, mentions if number == 0 else ()):
            calls.append(_caller(robot, http, item))
    await robot_queue(robot.identity, robot.rate).send(calls, hold)
    return len(parts)


def _caller(robot: Robot, http: aiohttp.ClientSession, body: Body) -> Callable[[], Awaitable[Body]]:
    async def call() -> Body:
        return await robot.send(http, body)

    return call


def compose(robot: Robot, message: Message, locale: str) -> str:
    """The message's text: the script's header for a broadcast, each locale's wording as
    a paragraph (as data: it can mention or link nobody), and where it came from."""
    lines: list[str] = []
    if message.kind == "script":
        lines.append(_bold(robot, f"📌 {text('script', locale)}"))
    lines.extend(robot.defuse(item.text) for item in message.texts)
    incident = message.incident
    lines.append(f"— surge · {text('incident', locale)} #{incident.id} · {message.script_id}")
    return "\n\n".join(lines)


def summary_lines(robot: Robot, summary: Summary, locale: str) -> list[str]:
    incident = summary.incident
    lines = [
        _bold(robot, f"{text('summary', locale)} #{incident.id} {robot.defuse(incident.title)}"),
        f"{text('status', locale)}: {text(incident.status.value, locale)}",
        f"{text('severity', locale)}: {robot.defuse(incident.severity)}",
    ]
    lines.extend(f"{text('hotline', locale)} {name}: {number}" for name, number in summary.hotlines)
    if summary.lines:
        lines.append(f"{text('latest', locale)}:")
        lines.extend(f"- {robot.defuse(line)}" for line in summary.lines[-5:])
    return lines


def fit(robot: Robot, body: str, mention: str, locale: str) -> list[str]:
    """``body`` in parts within the robot's limit, the first with room for ``mention``
    and every part, when there are several, labelled "(part 2 of 3)"."""
    size = robot.size
    label = size(text("part", locale, n=99, total=99)) + 2
    extra = size(mention) + 2 if mention else 0
    whole = body + (f"\n\n{mention}" if mention else "")
    if size(whole) <= robot.limit:
        return [whole]
    parts = split_text(body, robot.limit - label - extra, robot.size)
    total = len(parts)
    labelled = [
        f"{part}\n{text('part', locale, n=n, total=total)}" for n, part in enumerate(parts, 1)
    ]
    if mention:
        labelled[0] = f"{labelled[0]}\n\n{mention}"
    return labelled


@dataclass(frozen=True)
class SummaryRef:
    """What a room keeps of its latest summary: its number, what its top showed, when."""

    number: int
    digest: str
    at: str

    def write(self) -> str:
        return f"summary:{self.number}:{self.digest}:{self.at}"

    @classmethod
    def read(cls, ref: str) -> SummaryRef | None:
        parts = ref.split(":", 3)
        if len(parts) != 4 or parts[0] != "summary" or not parts[1].isdigit():
            return None
        return cls(int(parts[1]), parts[2], parts[3])


@dataclass(frozen=True)
class NoticeRef:
    """What a channel keeps of the message that showed a notice: its version."""

    number: int

    def write(self, key: str) -> str:
        return f"{key}:v{self.number}"

    @classmethod
    def read(cls, ref: str) -> NoticeRef | None:
        _, _, number = ref.rpartition(":v")
        return cls(int(number)) if number.isdigit() else None


def _head(summary: Summary) -> str:
    incident = summary.incident
    top = [incident.title, incident.status.value, incident.severity, *map(str, summary.hotlines)]
    return hashlib.sha256("\0".join(top).encode()).hexdigest()[:12]


def _title(message: Message, locale: str) -> str:
    incident = message.incident
    head = text("script", locale) if message.kind == "script" else text("incident", locale)
    return truncate(f"{head} #{incident.id} {incident.title}", TITLE_LIMIT, "chars")


def _bold(robot: Robot, value: str) -> str:
    return f"**{value}**" if robot.markdown else value
