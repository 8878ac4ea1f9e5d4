"""The store's interface for subscriptions (``surge.store.sql.subscriptions`` implements it
for both backends; ``Store`` inherits it). Every method is one transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from surge.subscriptions.records import (
    Attempt,
    Claimed,
    Delivery,
    DeliveryState,
    NoticeUpdate,
    Requested,
    Subscriber,
    SubscriberKind,
    SubscriberState,
)


class SubscriptionStorage(ABC):
    @abstractmethod
    async def add_subscriber(
        self, subscriber: Subscriber, confirm: Delivery | None = None
    ) -> tuple[Subscriber, bool]:
        """Store a new subscriber (and queue its confirmation mail), returning it with its
        id and True; when one with its kind and address exists, return that one with False
        and write nothing."""

    @abstractmethod
    async def subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    @abstractmethod
    async def find_subscriber(self, kind: SubscriberKind, address: str) -> Subscriber | None: ...

    @abstractmethod
    async def subscribers(
        self,
        *,
        state: SubscriberState | None = None,
        kind: SubscriberKind | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[Subscriber]:
        """Newest first; ``before``: only those with a smaller id (the next page)."""

    @abstractmethod
    async def subscriber_counts(self) -> dict[tuple[SubscriberKind, SubscriberState], int]:
        """How many subscribers there are of each kind in each state (none: left out)."""

    @abstractmethod
    async def request_confirmation(
        self, subscriber_id: int, requested: Requested, at: datetime, confirm: Delivery
    ) -> bool:
        """Keep what the subscriber asked for until it confirms, and queue the mail that
        asks it to; one that had unsubscribed is pending again. False: no such subscriber."""

    @abstractmethod
    async def confirm_subscriber(self, subscriber_id: int, at: datetime) -> Subscriber | None:
        """Make the requested components and locale the subscriber's, and activate it."""

    @abstractmethod
    async def unsubscribe(self, subscriber_id: int, at: datetime) -> Subscriber | None:
        """Mark it unsubscribed and cancel what is queued for it (not what is being sent)."""

    @abstractmethod
    async def remove_subscriber(self, subscriber_id: int) -> bool:
        """Delete the subscriber, its deliveries and their attempts."""

    @abstractmethod
    async def forget_unconfirmed(self, sent_before: datetime) -> int:
        """Remove pending subscribers whose last confirmation mail went out before
        ``sent_before`` (its link has expired unused); how many were removed."""

    @abstractmethod
    async def queue_update(self, update: NoticeUpdate, at: datetime) -> tuple[NoticeUpdate, int]:
        """Keep the published version and queue a delivery of it, due at ``at``, to every
        active subscriber it concerns; returns it as stored and how many were queued. A
        version queued before is returned with 0 and nothing is written."""

    @abstractmethod
    async def notice_updates(self, notice_id: int) -> list[NoticeUpdate]:
        """The notice's versions queued for subscribers, oldest first."""

    @abstractmethod
    async def claim_deliveries(
        self, holder: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        """Claim due deliveries for one attempt each: ``sending``, the attempt counted and
        recorded as started. A mail whose sender stopped mid-send (its lease ran out) is
        ``unknown`` instead and is not sent again; a webhook is sent again (with the same
        Idempotency-Key)."""

    @abstractmethod
    async def finish_delivery(
        self,
        delivery_id: int,
        holder: str,
        state: DeliveryState,
        at: datetime,
        *,
        error: str = "",
        ref: str = "",
        retry_at: datetime | None = None,
    ) -> bool:
        """Record how the attempt ended: ``sent``, ``failed``, or ``queued`` again to retry
        at ``retry_at``. False when the holder no longer has it."""

    @abstractmethod
    async def renew_delivery_leases(
        self, holder: str, delivery_ids: Sequence[int], until: datetime
    ) -> None: ...

    @abstractmethod
    async def deliveries(
        self,
        *,
        notice_id: int | None = None,
        subscriber_id: int | None = None,
        limit: int = 1000,
    ) -> list[Delivery]:
        """Oldest first."""

    @abstractmethod
    async def delivery_attempts(self, delivery_ids: Sequence[int]) -> list[Attempt]:
        """Every attempt of these deliveries, in order."""
