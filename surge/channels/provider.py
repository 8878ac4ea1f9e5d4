"""What a channel provider is: the contract between surge's channel actions and a vendor.

A plugin registers provider *types* (``slack``, ``webhook``, ``email``) through the
``surge_register_channel_providers`` hook. For each runtime, surge asks each type that the
config uses to ``connect`` once (one Slack client, one HTTP session), then to ``bind``
every channel configured with it. The channel actions then call the bound provider;
nothing in a playbook names the vendor.

Every call carries a key that is the same when a step is run again after a crash.
``Message.recovering`` tells a provider that an earlier attempt with this key may have
reached the far side: it should look (Slack: the channel's history) before sending again,
or hand the key to a far side that de-duplicates (webhooks: ``Idempotency-Key``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from surge.channels.config import ChannelBinding
    from surge.config import Config
    from surge.notices.model import Notice, NoticeVersion
    from surge.rota.model import Person
    from surge.scripts.rules import Rendered
    from surge.store.records import Incident
    from surge.yamlcheck import Checker


class ChannelError(Exception):
    """A provider could not do what it was asked. ``retryable``: trying again later may
    work (rate limits, outages); otherwise it will not (a channel that does not exist)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Room:
    """Where an incident's messages go on one channel: a room the provider opened for it
    (a new Slack channel) or the fixed place the channel is configured with."""

    id: str  # the provider's id: a Slack channel id, a mail list
    name: str = ""
    url: str = ""
    created: bool = False  # made for this incident, so closing it may archive it
    data: dict[str, Any] = field(default_factory=dict)  # what else the provider keeps


@dataclass(frozen=True)
class OpenRequest:
    incident: Incident
    name: str  # the playbook's name for the room, e.g. outage-web-chat
    topic: str
    purpose: str
    invite: tuple[str, ...]  # people and groups in the provider's own ids
    key: str
    recovering: bool = False
    # rota people to invite too (the on-call people): the provider finds their ids in
    # their contact methods or ``ids``, and lists in ``Room.data`` the rota ids it invited
    # (``invited``) and those it has no id for (``missing``)
    people: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Message:
    """A message rendered from an approved response script, in one or more locales."""

    incident: Incident
    key: str
    script_id: str
    texts: tuple[Rendered, ...]
    kind: str = "post"  # post, or script (the incident's active script, for agents)
    started_at: datetime | None = None  # when the first attempt began (for look-ups)
    recovering: bool = False

    @property
    def text(self) -> str:
        """Every locale's wording, one paragraph each: for providers with plain text."""
        return "\n\n".join(item.text for item in self.texts)


@dataclass(frozen=True)
class Posted:
    ref: str  # the provider's id for the message: a Slack ts, a Message-ID
    room: str = ""  # where it went: a Slack channel id
    url: str = ""


@dataclass(frozen=True)
class NoticePost:
    """A status notice's version to show on a channel (surge/channels/notices.py): the
    first one is posted, later ones update that message. A draft (``draft``) waits for
    someone with the publish permission; a provider with buttons offers Approve."""

    notice: Notice
    version: NoticeVersion
    key: str  # notice:ID:CHANNEL: the same for every version, and on a re-run
    locales: tuple[str, ...] = ()  # the channel's locales; () for every one the text has
    recovering: bool = False  # an earlier call may have posted it: look before posting

    @property
    def draft(self) -> bool:
        return not self.version.is_published

    def texts(self) -> list[tuple[str, str, str]]:
        """``(locale, title, body)`` in the channel's locales, else every one written."""
        body = self.version.body
        wanted = [locale for locale in self.locales if locale in body] or list(body)
        return [(locale, self.version.title.get(locale, ""), body[locale]) for locale in wanted]


@dataclass(frozen=True)
class Summary:
    """An incident at a glance, for the message a room keeps up to date."""

    incident: Incident
    lines: tuple[str, ...]  # the latest timeline entries, oldest first, secrets masked
    hotlines: tuple[tuple[str, str], ...] = ()  # (hotline, number) switched on


# (incident id, kind, message, data): a note on the incident's timeline, as the channel
Notify = Callable[[int, str, str, Mapping[str, Any] | None], Awaitable[None]]


class ChannelProvider(ABC):
    """One configured channel, bound to its provider type."""

    medium: str | None = None  # the script rules' channel for length limits (chat, email)
    notify: Notify | None = None  # set by the channels service when it binds the channel

    async def note(
        self, incident_id: int, kind: str, message: str, data: Mapping[str, Any] | None = None
    ) -> None:
        """Write on the incident's timeline as this channel (a message held back by a
        rate limit, say); secrets are masked there. Nothing happens before binding."""
        if self.notify is not None:
            await self.notify(incident_id, kind, message, data)

    @abstractmethod
    async def open(self, request: OpenRequest) -> Room:
        """Open a room for the incident, or name the fixed place this channel posts to."""

    @abstractmethod
    async def post(self, room: Room | None, message: Message) -> Posted:
        """Post ``message`` in ``room`` (None: no room was opened; use the fixed place)."""

    async def close(self, room: Room) -> None:  # noqa: B027 (optional for providers)
        """Close a room when the incident is over (archive it, if the provider made it)."""

    async def invite_people(self, room: Room, people: Sequence[Person]) -> dict[str, list[str]]:
        """Invite rota people into a room opened with the on-call people (someone paged
        later): ``{"invited": [rota ids], "missing": [rota ids]}``; ``{}``: this provider
        invites nobody."""
        return {}

    async def pin(self, posted: Posted) -> bool:
        """Pin a message where everyone sees it. False: this provider cannot pin."""
        return False

    async def unpin(self, posted: Posted) -> bool:
        return False

    async def summarize(
        self, room: Room, summary: Summary, previous: Posted | None
    ) -> Posted | None:
        """Post the incident's summary in ``room``, or update ``previous``. None: this
        provider keeps no summary."""
        return None

    async def notice(
        self, room: Room | None, post: NoticePost, previous: Posted | None
    ) -> Posted | None:
        """Show a notice's version: post it, or update ``previous`` (the message that
        showed an earlier version). ``room`` is the incident's room on this channel, None
        when there is none. None: this provider shows no notices."""
        return None


class ProviderConnection(ABC):
    """One provider type in one runtime: what its channels share (a client, a session)."""

    @abstractmethod
    def bind(self, binding: ChannelBinding, check: Checker) -> ChannelProvider | None:
        """The provider for one configured channel; report bad settings to ``check``
        (``check.keys(binding.node, …)`` reports unknown ones) and return None then."""

    async def close(self) -> None:  # noqa: B027 (optional for connections)
        """Release what ``connect`` made (sessions, clients)."""


@dataclass(frozen=True)
class ProviderType:
    """A kind of channel a plugin offers, by the name ``provider:`` gives in config."""

    name: str
    # called once per runtime that uses the type; report bad plugin settings to the Checker
    connect: Callable[[Config, Checker], ProviderConnection]
    description: str = ""
