"""Subscriptions as the rest of surge uses them (``ctx.services.subscriptions``): subscribe
with double opt-in, confirm and unsubscribe by signed link, remove, and queue each
published notice version for the subscribers it concerns; the worker sends.

A subscribe request for an e-mail address answers the same whether or not the address is
known, so the route tells nobody who subscribed; an address gets a confirmation mail at
most once per ``resend_after``. A webhook is active at once and its signing secret is
returned once, in the answer that creates it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from surge.audit.changes import Change
from surge.config import Config
from surge.metrics import Metrics
from surge.redact import Redactor
from surge.store.base import Store
from surge.subscriptions import shapes
from surge.subscriptions.limits import RateLimiter
from surge.subscriptions.links import (
    CONFIRM,
    UNSUBSCRIBE,
    LinkError,
    new_link_key,
    read_claim,
    verify,
)
from surge.subscriptions.records import (
    Delivery,
    DeliveryState,
    NoticeUpdate,
    Purpose,
    Requested,
    Subscriber,
    SubscriberKind,
    SubscriberState,
)
from surge.subscriptions.render import Site
from surge.subscriptions.requests import Request
from surge.subscriptions.send import Sender
from surge.subscriptions.worker import DeliveryWorker


class Refused(Exception):
    """A subscription surge cannot take now or at all; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Subscribed:
    subscriber: Subscriber
    secret: str = ""  # a new webhook's signing secret, shown this once


def configured_components(config: Config) -> dict[str, dict[str, str]]:
    """The config's components (``components:``): id: {locale: name}."""
    return {component.id: dict(component.name) for component in config.components}


class Subscriptions:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Callable[[], datetime],
        holder: str,
        metrics: Metrics,
    ) -> None:
        self.config = config
        self.settings = config.subscriptions
        self.store = store
        self.clock = clock
        self.components = configured_components(config)
        self.site = Site(config.public_url, self.components)
        limit = self.settings.rate_limit
        self.limiter = RateLimiter(limit.requests, limit.per)  # subscribe requests per client
        sender = Sender(config.smtp, self.settings, self.site)
        self.worker = DeliveryWorker(
            store, sender, self.settings, holder, clock, Redactor(config.secrets()), metrics
        )

    # -- subscribing --

    async def subscribe(self, request: Request, origin: str) -> Subscribed:
        if not self.settings.enabled:
            raise Refused("subscriptions are turned off on this server", 503)
        if request.kind is SubscriberKind.EMAIL:
            return await self._subscribe_email(request, origin)
        return await self._subscribe_webhook(request, origin)

    async def _subscribe_email(self, request: Request, origin: str) -> Subscribed:
        if self.config.smtp is None:
            raise Refused("e-mail subscriptions need a mail server (smtp: in the config)", 503)
        now = self.clock()
        wanted = Requested(request.components, request.locale)
        existing = await self.store.find_subscriber(request.kind, request.address)
        if existing is None:
            await self._room_for_pending(now)
            fresh = Subscriber(
                0, request.kind, request.address, request.locale, request.components,
                SubscriberState.PENDING, now, new_link_key(), requested=wanted, origin=origin,
                confirm_sent_at=now,
            )  # fmt: skip
            stored, created = await self.store.add_subscriber(fresh, self._confirmation(now))
            if created:
                self.worker.wake()
                return Subscribed(stored)
            existing = stored
        sent = existing.confirm_sent_at
        if sent is None or now - sent >= timedelta(seconds=self.settings.resend_after):
            await self.store.request_confirmation(existing.id, wanted, now, self._confirmation(now))
            self.worker.wake()
        return Subscribed(existing)

    async def _subscribe_webhook(self, request: Request, origin: str) -> Subscribed:
        existing = await self.store.find_subscriber(request.kind, request.address)
        if existing is not None and existing.state is not SubscriberState.UNSUBSCRIBED:
            raise Refused(
                "this webhook is subscribed already; to start again, unsubscribe it with the "
                "link every delivery carries",
                409,
            )
        if existing is not None:
            await self.store.remove_subscriber(existing.id)
        now = self.clock()
        secret = secrets.token_urlsafe(32)
        fresh = Subscriber(
            0, request.kind, request.address, request.locale, request.components,
            SubscriberState.ACTIVE, now, new_link_key(), secret=secret, origin=origin,
            confirmed_at=now,
        )  # fmt: skip
        stored, created = await self.store.add_subscriber(fresh)
        if not created:
            raise Refused("this webhook was subscribed at the same moment", 409)
        return Subscribed(stored, secret)

    async def _room_for_pending(self, now: datetime) -> None:
        """Refuse (503) when the caps are reached, once addresses whose confirmation
        expired unused are forgotten."""
        for attempt in range(2):
            counts = await self.store.subscriber_counts()
            pending = sum(n for (_, state), n in counts.items() if state is SubscriberState.PENDING)
            if pending < self.settings.max_pending:
                break
            expired = now - timedelta(seconds=self.settings.confirm_ttl)
            if attempt or not await self.store.forget_unconfirmed(expired):
                raise Refused("too many subscriptions wait for confirmation; try again later", 503)
        if sum(counts.values()) >= self.settings.max_subscribers:
            raise Refused("this server takes no more subscribers", 503)

    def _confirmation(self, now: datetime) -> Delivery:
        key = f"confirm:{secrets.token_hex(8)}"
        return Delivery(
            0, key, 0, Purpose.CONFIRM, SubscriberKind.EMAIL, DeliveryState.QUEUED, now, now, now
        )

    # -- links --

    async def from_link(self, token: str, action: str) -> Subscriber:
        """The subscriber a link is for, once it is checked; raises LinkError."""
        claim = read_claim(token)
        found = await self.store.subscriber(claim.subscriber_id)
        if claim.action != action or found is None:
            raise LinkError("this link is not valid, or its subscription was removed")
        verify(found.link_key, token, claim, self.clock())
        withdrawn = found.requested is None and found.state is not SubscriberState.ACTIVE
        if action == CONFIRM and withdrawn:
            raise LinkError("this confirmation was withdrawn: subscribe again", expired=True)
        return found

    async def confirm(self, token: str) -> Subscriber:
        found = await self.from_link(token, CONFIRM)
        if found.requested is None:  # confirmed already: nothing changes
            return found
        confirmed = await self.store.confirm_subscriber(found.id, self.clock())
        assert confirmed is not None
        return confirmed

    async def unsubscribe(self, token: str) -> Subscriber:
        found = await self.from_link(token, UNSUBSCRIBE)
        left = await self.store.unsubscribe(found.id, self.clock())
        assert left is not None
        return left

    async def remove(self, subscriber_id: int) -> bool:
        return await self.store.remove_subscriber(subscriber_id)

    # -- notices --

    async def published(self, update: NoticeUpdate) -> int:
        """Queue a published version for its subscribers; how many deliveries were queued."""
        _, queued = await self.store.queue_update(update, self.clock())
        if queued:
            self.worker.wake()
        return queued


async def delivery_list(store: Store, notice_id: int) -> list[dict[str, Any]]:
    """Every delivery of the notice's versions, each with its attempts and address."""
    found = await store.deliveries(notice_id=notice_id)
    attempts = await store.delivery_attempts([item.id for item in found])
    people = {item.subscriber_id for item in found}
    subscribers = {key: await store.subscriber(key) for key in sorted(people)}
    updates = {item.id: item.version for item in await store.notice_updates(notice_id)}
    return [
        {
            "version": updates.get(item.update_id or 0),
            **shapes.delivery(
                item,
                [one for one in attempts if one.delivery_id == item.id],
                subscribers.get(item.subscriber_id),
            ),
        }
        for item in found
    ]


async def subscriber_page(
    store: Store,
    *,
    state: SubscriberState | None = None,
    kind: SubscriberKind | None = None,
    before: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """``GET /api/v1/subscribers``'s answer: a page of subscribers, newest first, and the
    counts of each kind in each state."""
    found = await store.subscribers(state=state, kind=kind, before=before, limit=limit)
    counts: dict[str, dict[str, int]] = {}
    for (one_kind, one_state), count in sorted((await store.subscriber_counts()).items()):
        counts.setdefault(one_kind.value, {})[one_state.value] = count
    more = len(found) == limit and found
    return {
        "subscribers": [shapes.subscriber(item) for item in found],
        "counts": counts,
        "next_before": found[-1].id if more else None,
    }


def removed(found: Subscriber) -> Change:
    """The audit log's entry for removing a subscriber (no secret: the URL's host only)."""
    detail = {"kind": found.kind.value, "address": shapes.address(found)}
    return Change("subscriber.remove", f"subscriber:{found.id}", detail)
