"""The subscription tables on every backend: subscribers kept once per address, opt-in
applied on confirmation, notice versions queued once to the subscribers they concern,
deliveries claimed once with every attempt recorded, and a mail cut off mid-send never
sent again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.conftest import NOW

from surge.store.base import Store
from surge.subscriptions.records import (
    Delivery,
    DeliveryState,
    NoticeUpdate,
    Purpose,
    Requested,
    Subscriber,
    SubscriberKind,
    SubscriberState,
    UpdateText,
)

LATER = NOW + timedelta(minutes=5)


def subscriber(kind: SubscriberKind, address: str, *components: str) -> Subscriber:
    state = SubscriberState.PENDING if kind is SubscriberKind.EMAIL else SubscriberState.ACTIVE
    return Subscriber(
        0, kind, address, "zh-CN", components, state, NOW, "k" * 43,
        secret="s" * 10 if kind is SubscriberKind.WEBHOOK else "",
        requested=Requested(components, "zh-CN"), origin="127.0.0.1",
    )  # fmt: skip


def confirmation(key: str) -> Delivery:
    return Delivery(
        0, key, 0, Purpose.CONFIRM, SubscriberKind.EMAIL, DeliveryState.QUEUED, NOW, NOW, NOW
    )


def update(version: int = 1, **components: str) -> NoticeUpdate:
    texts = {
        "en": UpdateText("Web chat down", "We are on it"),
        "zh-CN": UpdateText("故障", "处理中"),
    }
    return NoticeUpdate(7, version, "investigating", components, texts, NOW, "http://s/status")


async def active(store: Store, address: str, *components: str) -> Subscriber:
    added, _ = await store.add_subscriber(subscriber(SubscriberKind.EMAIL, address, *components))
    confirmed = await store.confirm_subscriber(added.id, NOW)
    assert confirmed is not None
    return confirmed


async def test_a_subscriber_is_kept_once_per_address_and_confirmation_applies_its_request(store):
    fresh = subscriber(SubscriberKind.EMAIL, "ann@example.com", "web-chat")
    added, created = await store.add_subscriber(fresh, confirmation("confirm:1"))
    assert created and added.id > 0 and added.state is SubscriberState.PENDING
    again, created = await store.add_subscriber(fresh, confirmation("confirm:2"))
    assert not created and again == added
    assert [d.key for d in await store.deliveries(subscriber_id=added.id)] == ["confirm:1"]

    wanted = Requested(("hotline",), "en")
    assert await store.request_confirmation(added.id, wanted, LATER, confirmation("confirm:3"))
    assert not await store.request_confirmation(999, wanted, LATER, confirmation("confirm:4"))
    pending = await store.subscriber(added.id)
    assert pending is not None and pending.requested == wanted and pending.confirm_sent_at == LATER
    confirmed = await store.confirm_subscriber(added.id, LATER)
    assert confirmed is not None and confirmed.state is SubscriberState.ACTIVE
    assert (confirmed.components, confirmed.locale, confirmed.requested) == (
        ("hotline",),
        "en",
        None,
    )
    assert await store.find_subscriber(SubscriberKind.EMAIL, "ann@example.com") == confirmed
    assert await store.find_subscriber(SubscriberKind.WEBHOOK, "ann@example.com") is None


async def test_listing_pages_newest_first_and_filters(store):
    ann = await active(store, "ann@example.com")
    bo, _ = await store.add_subscriber(subscriber(SubscriberKind.EMAIL, "bo@example.com"))
    hook, _ = await store.add_subscriber(subscriber(SubscriberKind.WEBHOOK, "https://h.test/x"))
    assert [s.id for s in await store.subscribers()] == [hook.id, bo.id, ann.id]
    assert [s.id for s in await store.subscribers(limit=2)] == [hook.id, bo.id]
    assert [s.id for s in await store.subscribers(before=bo.id)] == [ann.id]
    assert [s.id for s in await store.subscribers(state=SubscriberState.ACTIVE)] == [
        hook.id,
        ann.id,
    ]
    assert [s.id for s in await store.subscribers(kind=SubscriberKind.WEBHOOK)] == [hook.id]
    assert hook.secret == "s" * 10


async def test_a_version_is_queued_once_to_the_subscribers_it_concerns(store):
    everything = await active(store, "all@example.com")
    chat = await active(store, "chat@example.com", "web-chat")
    phone = await active(store, "phone@example.com", "hotline")
    await store.add_subscriber(subscriber(SubscriberKind.EMAIL, "pending@example.com"))
    left = await active(store, "left@example.com")
    await store.unsubscribe(left.id, NOW)

    stored, queued = await store.queue_update(update(1, **{"web-chat": "major_outage"}), NOW)
    assert queued == 2 and stored.id > 0 and stored.texts["zh-CN"].title == "故障"
    assert stored.components == {"web-chat": "major_outage"}
    again, queued = await store.queue_update(update(1, **{"web-chat": "major_outage"}), LATER)
    assert queued == 0 and again == stored
    listed = await store.deliveries(notice_id=7)
    assert {d.subscriber_id for d in listed} == {everything.id, chat.id}
    assert {d.key for d in listed} == {
        f"notice:7:1:{everyone}" for everyone in (everything.id, chat.id)
    }
    _, queued = await store.queue_update(update(2), NOW)  # no component: everyone
    assert queued == 3 and phone.id in {
        d.subscriber_id for d in await store.deliveries(notice_id=7)
    }
    assert [u.version for u in await store.notice_updates(7)] == [1, 2]
    assert await store.deliveries(notice_id=8) == []


async def test_a_delivery_is_claimed_once_and_each_attempt_is_recorded(store):
    ann = await active(store, "ann@example.com")
    await store.queue_update(update(), NOW)
    claims = await asyncio.gather(
        *(store.claim_deliveries(f"p{n}", NOW, LATER, 10) for n in range(4))
    )
    claimed = [item for found in claims for item in found]
    assert len(claimed) == 1  # one claimer won it
    [item] = claimed
    assert item.subscriber.id == ann.id and item.update is not None and item.update.version == 1
    delivery = item.delivery
    assert delivery.state is DeliveryState.SENDING and delivery.attempts == 1
    assert not await store.finish_delivery(delivery.id, "someone-else", DeliveryState.SENT, NOW)
    retry = NOW + timedelta(seconds=30)
    holder = delivery.claimed_by
    assert await store.finish_delivery(
        delivery.id, holder, DeliveryState.QUEUED, NOW, error="421 busy", retry_at=retry
    )
    assert await store.claim_deliveries("p", NOW, LATER, 10) == []  # not due yet
    [again] = await store.claim_deliveries("p", retry, LATER, 10)
    assert again.delivery.attempts == 2
    assert await store.finish_delivery(delivery.id, "p", DeliveryState.SENT, retry, ref="<m@x>")
    [done] = await store.deliveries(subscriber_id=ann.id)
    assert (done.state, done.sent_at, done.ref, done.attempts) == (
        DeliveryState.SENT,
        retry,
        "<m@x>",
        2,
    )
    attempts = await store.delivery_attempts([delivery.id])
    assert [(a.attempt, a.status, a.error) for a in attempts] == [
        (1, "failed", "421 busy"),
        (2, "sent", ""),
    ]


async def test_a_mail_cut_off_mid_send_is_unknown_and_a_webhook_is_sent_again(store):
    await active(store, "ann@example.com")
    hook, _ = await store.add_subscriber(subscriber(SubscriberKind.WEBHOOK, "https://h.test/x"))
    await store.queue_update(update(), NOW)
    first = await store.claim_deliveries("gone", NOW, NOW + timedelta(seconds=1), 10)
    assert len(first) == 2
    await store.renew_delivery_leases("gone", [item.delivery.id for item in first], LATER)
    assert await store.claim_deliveries("p", NOW + timedelta(seconds=2), LATER, 10) == []
    after = LATER + timedelta(seconds=1)
    [resent] = await store.claim_deliveries("p", after, after + timedelta(minutes=1), 10)
    assert resent.subscriber.id == hook.id and resent.delivery.attempts == 2
    mail = next(d for d in await store.deliveries(notice_id=7) if d.channel is SubscriberKind.EMAIL)
    assert mail.state is DeliveryState.UNKNOWN and "not sent again" in mail.error
    found = await store.delivery_attempts([mail.id, resent.delivery.id])
    by_delivery = {
        key: [a.status for a in found if a.delivery_id == key]
        for key in {mail.id, resent.delivery.id}
    }
    assert by_delivery == {mail.id: ["unknown"], resent.delivery.id: ["unknown", "sending"]}


async def test_unsubscribing_cancels_what_is_queued_and_removing_deletes_everything(store):
    ann = await active(store, "ann@example.com")
    await store.queue_update(update(), NOW)
    left = await store.unsubscribe(ann.id, LATER)
    assert left is not None and left.state is SubscriberState.UNSUBSCRIBED
    [cancelled] = await store.deliveries(subscriber_id=ann.id)
    assert cancelled.state is DeliveryState.CANCELLED
    assert await store.claim_deliveries("p", LATER, LATER, 10) == []
    bo = await active(store, "bo@example.com")
    await store.queue_update(update(2), NOW)
    [claimed] = await store.claim_deliveries("p", NOW, LATER, 10)
    assert await store.remove_subscriber(bo.id)
    assert not await store.remove_subscriber(bo.id)
    assert await store.subscriber(bo.id) is None
    assert await store.deliveries(subscriber_id=bo.id) == []
    assert await store.delivery_attempts([claimed.delivery.id]) == []
    assert not await store.finish_delivery(claimed.delivery.id, "p", DeliveryState.SENT, NOW)


async def test_unconfirmed_addresses_are_forgotten_once_their_link_expired(store):
    old = subscriber(SubscriberKind.EMAIL, "old@example.com")
    old.confirm_sent_at = NOW
    added, _ = await store.add_subscriber(old, confirmation("confirm:old"))
    fresh = subscriber(SubscriberKind.EMAIL, "new@example.com")
    fresh.confirm_sent_at = LATER
    await store.add_subscriber(fresh)
    kept = await active(store, "kept@example.com")
    assert await store.forget_unconfirmed(NOW + timedelta(minutes=1)) == 1
    assert await store.subscriber(added.id) is None
    assert await store.deliveries(subscriber_id=added.id) == []
    left = {item.address for item in await store.subscribers()}
    assert left == {"new@example.com", kept.address}
