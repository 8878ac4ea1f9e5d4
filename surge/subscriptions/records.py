"""What the store keeps for subscriptions: subscribers, the notice versions queued for them,
each delivery of one to one subscriber, and every attempt at sending it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SubscriberKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class SubscriberState(StrEnum):
    PENDING = "pending"  # an e-mail address that has not confirmed yet: it gets nothing else
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


class Purpose(StrEnum):
    CONFIRM = "confirm"  # the double opt-in mail
    NOTICE = "notice"  # one published notice version


class DeliveryState(StrEnum):
    QUEUED = "queued"  # waiting for its due time (the first, or the next after a failure)
    SENDING = "sending"  # an attempt is under way, claimed by one process
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts
    UNKNOWN = "unknown"  # surge stopped mid-send of a mail: not sent again, never twice
    CANCELLED = "cancelled"  # the subscriber left before it was sent


@dataclass(frozen=True)
class Requested:
    """What an e-mail subscriber asked for and takes effect once confirmed."""

    components: tuple[str, ...]
    locale: str


@dataclass
class Subscriber:
    id: int
    kind: SubscriberKind
    address: str  # an e-mail address (lower case) or a webhook URL
    locale: str
    components: tuple[str, ...]  # empty: every component
    state: SubscriberState
    created_at: datetime
    link_key: str  # signs the subscriber's confirm and unsubscribe links; never shown
    secret: str = ""  # a webhook's signing secret: shown once, when it is created
    requested: Requested | None = None
    origin: str = ""  # the client address the subscription came from
    confirm_sent_at: datetime | None = None
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None


@dataclass(frozen=True)
class UpdateText:
    title: str
    body: str


@dataclass(frozen=True)
class NoticeUpdate:
    """One published version of a notice, as subscribers are told of it: what the notices
    part hands over when it publishes (``surge_notice_published``), kept once."""

    notice_id: int
    version: int
    state: str  # investigating, identified, monitoring, resolved (or a maintenance's)
    components: Mapping[str, str]  # affected component id: its status
    texts: Mapping[str, UpdateText]  # locale: the rendered title and body
    published_at: datetime
    url: str = ""  # where the notice is shown, e.g. the status page
    id: int = 0  # the store's, once queued

    def text(self, locale: str) -> tuple[str, UpdateText]:
        """The text in ``locale``, else English, else the first there is."""
        for wanted in (locale, "en", *self.texts):
            if wanted in self.texts:
                return wanted, self.texts[wanted]
        return locale, UpdateText("", "")


def concerns(wanted: Iterable[str], affected: Iterable[str]) -> bool:
    """Whether a subscriber to ``wanted`` components (none: all) hears of a notice about
    ``affected`` ones (none: a notice for everyone)."""
    wanted, affected = set(wanted), set(affected)
    return not wanted or not affected or bool(wanted & affected)


@dataclass
class Delivery:
    id: int
    key: str  # unique; the mail's Message-ID and the webhook's Idempotency-Key derive from it
    subscriber_id: int
    purpose: Purpose
    channel: SubscriberKind
    state: DeliveryState
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    update_id: int | None = None
    attempts: int = 0
    claimed_by: str = ""
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    error: str = ""
    ref: str = ""  # what the far side said: the Message-ID, or the HTTP status


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    attempt: int
    status: str  # sending, then sent, failed or unknown
    started_at: datetime
    finished_at: datetime | None = None
    error: str = ""


@dataclass
class Claimed:
    """A delivery claimed for one attempt, with what is needed to send it."""

    delivery: Delivery
    subscriber: Subscriber
    update: NoticeUpdate | None = None
