"""The store's side of subscriptions: subscribers, the notice versions queued for them, and
their deliveries with every attempt. Portable SQL (both backends run the same statements).

A delivery is claimed for one attempt at a time, in the same transaction that counts the
attempt and records it as started, so a crash leaves a trace: a mail found ``sending``
after its lease ran out may have reached the server, and is marked ``unknown`` rather
than sent twice; a webhook is sent again with the same Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, from_json, opt_dt, opt_ts, to_json, ts
from surge.subscriptions.records import (
    Attempt,
    Claimed,
    Delivery,
    DeliveryState,
    NoticeUpdate,
    Purpose,
    Requested,
    Subscriber,
    SubscriberKind,
    SubscriberState,
    UpdateText,
    concerns,
)

CLAIMS = "subscription-claims"  # claims queue up rather than abort each other (PostgreSQL)
STOPPED = (
    "surge stopped while handing this mail to the server, which may have taken it: "
    "it is not sent again, so that nobody gets it twice"
)
_SUBSCRIBER_COLUMNS = (
    "kind, address, locale, components, state, link_key, secret, requested, origin,"
    " created_at, confirm_sent_at, confirmed_at, unsubscribed_at"
)
_DELIVERY_COLUMNS = (
    "delivery_key, subscriber_id, update_id, purpose, channel, state, attempts, due_at,"
    " created_at, updated_at"
)


def _requested(text: str) -> Requested | None:
    found = from_json(text) or {}
    if not found:
        return None
    return Requested(tuple(found.get("components", ())), str(found.get("locale", "")))


def _requested_json(requested: Requested | None) -> str:
    if requested is None:
        return "{}"
    return to_json({"components": list(requested.components), "locale": requested.locale})


def subscriber_from(row: Any) -> Subscriber:
    return Subscriber(
        id=row["id"],
        kind=SubscriberKind(row["kind"]),
        address=row["address"],
        locale=row["locale"],
        components=tuple(from_json(row["components"])),
        state=SubscriberState(row["state"]),
        created_at=dt(row["created_at"]),
        link_key=row["link_key"],
        secret=row["secret"],
        requested=_requested(row["requested"]),
        origin=row["origin"],
        confirm_sent_at=opt_dt(row["confirm_sent_at"]),
        confirmed_at=opt_dt(row["confirmed_at"]),
        unsubscribed_at=opt_dt(row["unsubscribed_at"]),
    )


def _update_from(row: Any) -> NoticeUpdate:
    texts = {
        locale: UpdateText(str(text["title"]), str(text["body"]))
        for locale, text in from_json(row["content"]).items()
    }
    return NoticeUpdate(
        notice_id=row["notice_id"],
        version=row["version"],
        state=row["state"],
        components=from_json(row["components"]),
        texts=texts,
        published_at=dt(row["published_at"]),
        url=row["url"],
        id=row["id"],
    )


def delivery_from(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        key=row["delivery_key"],
        subscriber_id=row["subscriber_id"],
        purpose=Purpose(row["purpose"]),
        channel=SubscriberKind(row["channel"]),
        state=DeliveryState(row["state"]),
        due_at=dt(row["due_at"]),
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        update_id=row["update_id"],
        attempts=row["attempts"],
        claimed_by=row["claimed_by"],
        lease_until=opt_dt(row["lease_until"]),
        sent_at=opt_dt(row["sent_at"]),
        error=row["error"],
        ref=row["ref"],
    )


def _attempt_from(row: Any) -> Attempt:
    return Attempt(
        delivery_id=row["delivery_id"],
        attempt=row["attempt"],
        status=row["status"],
        started_at=dt(row["started_at"]),
        finished_at=opt_dt(row["finished_at"]),
        error=row["error"],
    )


def _insert_delivery(db: Connection, delivery: Delivery, subscriber_id: int) -> None:
    db.execute(
        f"INSERT INTO subscription_deliveries ({_DELIVERY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (delivery_key) DO NOTHING",
        _delivery_values(delivery, subscriber_id),
    )


def _delivery_values(delivery: Delivery, subscriber_id: int) -> tuple[Any, ...]:
    return (
        delivery.key,
        subscriber_id,
        delivery.update_id,
        delivery.purpose.value,
        delivery.channel.value,
        DeliveryState.QUEUED.value,
        0,
        ts(delivery.due_at),
        ts(delivery.created_at),
        ts(delivery.updated_at),
    )


def _one_subscriber(db: Connection, subscriber_id: int) -> Subscriber | None:
    row = db.execute("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,)).fetchone()
    return subscriber_from(row) if row else None


def _cancel_queued(db: Connection, subscriber_id: int, at: datetime, why: str) -> None:
    db.execute(
        "UPDATE subscription_deliveries SET state = ?, error = ?, updated_at = ?"
        " WHERE subscriber_id = ? AND state = ?",
        (DeliveryState.CANCELLED.value, why, ts(at), subscriber_id, DeliveryState.QUEUED.value),
    )


def _end_attempt(
    db: Connection, delivery_id: int, attempt: int, status: str, at: datetime, error: str
) -> None:
    db.execute(
        "UPDATE subscription_attempts SET status = ?, finished_at = ?, error = ?"
        " WHERE delivery_id = ? AND attempt = ?",
        (status, ts(at), error, delivery_id, attempt),
    )


class SubscriptionStore:
    db: Database

    # -- subscribers --

    async def add_subscriber(
        self, subscriber: Subscriber, confirm: Delivery | None = None
    ) -> tuple[Subscriber, bool]:
        item = subscriber

        def work(db: Connection) -> tuple[Subscriber, bool]:
            row = db.execute(
                f"INSERT INTO subscribers ({_SUBSCRIBER_COLUMNS})"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (kind, address) DO NOTHING RETURNING id",
                (
                    item.kind.value,
                    item.address,
                    item.locale,
                    to_json(list(item.components)),
                    item.state.value,
                    item.link_key,
                    item.secret,
                    _requested_json(item.requested),
                    item.origin,
                    ts(item.created_at),
                    opt_ts(item.confirm_sent_at),
                    opt_ts(item.confirmed_at),
                    opt_ts(item.unsubscribed_at),
                ),
            ).fetchone()
            if row is not None and confirm is not None:
                _insert_delivery(db, confirm, row["id"])
            found = db.execute(
                "SELECT * FROM subscribers WHERE kind = ? AND address = ?",
                (item.kind.value, item.address),
            ).fetchone()
            return subscriber_from(found), row is not None

        return await self.db.write(work)

    async def subscriber(self, subscriber_id: int) -> Subscriber | None:
        return await self.db.run(lambda db: _one_subscriber(db, subscriber_id))

    async def find_subscriber(self, kind: SubscriberKind, address: str) -> Subscriber | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM subscribers WHERE kind = ? AND address = ?", (kind.value, address)
            ).fetchone()
        )
        return subscriber_from(row) if row else None

    async def subscribers(
        self,
        *,
        state: SubscriberState | None = None,
        kind: SubscriberKind | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[Subscriber]:
        clauses: list[str] = []
        values: list[Any] = []
        for column, value in (("state", state), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value.value)
        if before is not None:
            clauses.append("id < ?")
            values.append(before)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT * FROM subscribers {where} ORDER BY id DESC LIMIT ?"
        rows = await self.db.run(lambda db: db.execute(query, (*values, limit)).fetchall())
        return [subscriber_from(row) for row in rows]

    async def subscriber_counts(self) -> dict[tuple[SubscriberKind, SubscriberState], int]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT kind, state, COUNT(*) AS n FROM subscribers GROUP BY kind, state"
            ).fetchall()
        )
        return {
            (SubscriberKind(row["kind"]), SubscriberState(row["state"])): int(row["n"])
            for row in rows
        }

    async def request_confirmation(
        self, subscriber_id: int, requested: Requested, at: datetime, confirm: Delivery
    ) -> bool:
        def work(db: Connection) -> bool:
            cursor = db.execute(
                "UPDATE subscribers SET requested = ?, confirm_sent_at = ?,"
                " state = CASE WHEN state = ? THEN ? ELSE state END WHERE id = ?",
                (
                    _requested_json(requested),
                    ts(at),
                    SubscriberState.UNSUBSCRIBED.value,
                    SubscriberState.PENDING.value,
                    subscriber_id,
                ),
            )
            if cursor.rowcount == 0:
                return False
            _insert_delivery(db, confirm, subscriber_id)
            return True

        return await self.db.write(work)

    async def confirm_subscriber(self, subscriber_id: int, at: datetime) -> Subscriber | None:
        def work(db: Connection) -> Subscriber | None:
            found = _one_subscriber(db, subscriber_id)
            if found is None:
                return None
            wanted = found.requested or Requested(found.components, found.locale)
            db.execute(
                "UPDATE subscribers SET components = ?, locale = ?, requested = '{}', state = ?,"
                " confirmed_at = ?, unsubscribed_at = NULL WHERE id = ?",
                (
                    to_json(list(wanted.components)),
                    wanted.locale,
                    SubscriberState.ACTIVE.value,
                    ts(at),
                    subscriber_id,
                ),
            )
            return _one_subscriber(db, subscriber_id)

        return await self.db.write(work)

    async def unsubscribe(self, subscriber_id: int, at: datetime) -> Subscriber | None:
        def work(db: Connection) -> Subscriber | None:
            db.execute(
                "UPDATE subscribers SET state = ?, unsubscribed_at = ?, requested = '{}'"
                " WHERE id = ? AND state != ?",
                (
                    SubscriberState.UNSUBSCRIBED.value,
                    ts(at),
                    subscriber_id,
                    SubscriberState.UNSUBSCRIBED.value,
                ),
            )
            _cancel_queued(db, subscriber_id, at, "unsubscribed")
            return _one_subscriber(db, subscriber_id)

        return await self.db.write(work)

    async def remove_subscriber(self, subscriber_id: int) -> bool:
        return await self.db.write(lambda db: _remove(db, [subscriber_id]) > 0)

    async def forget_unconfirmed(self, sent_before: datetime) -> int:
        def work(db: Connection) -> int:
            rows = db.execute(
                "SELECT id FROM subscribers WHERE state = ? AND confirm_sent_at < ?",
                (SubscriberState.PENDING.value, ts(sent_before)),
            ).fetchall()
            return _remove(db, [row["id"] for row in rows])

        return await self.db.write(work)

    # -- published versions --

    async def queue_update(self, update: NoticeUpdate, at: datetime) -> tuple[NoticeUpdate, int]:
        item = update
        content = {
            locale: {"title": text.title, "body": text.body} for locale, text in item.texts.items()
        }

        def work(db: Connection) -> tuple[NoticeUpdate, int]:
            row = db.execute(
                "INSERT INTO subscription_updates (notice_id, version, state, components,"
                " content, url, published_at, queued_at) VALUES (?,?,?,?,?,?,?,?)"
                " ON CONFLICT (notice_id, version) DO NOTHING RETURNING id",
                (
                    item.notice_id,
                    item.version,
                    item.state,
                    to_json(dict(item.components)),
                    to_json(content),
                    item.url,
                    ts(item.published_at),
                    ts(at),
                ),
            ).fetchone()
            queued = 0
            if row is not None:
                queued = _queue_for_subscribers(db, row["id"], item, at)
            stored = db.execute(
                "SELECT * FROM subscription_updates WHERE notice_id = ? AND version = ?",
                (item.notice_id, item.version),
            ).fetchone()
            return _update_from(stored), queued

        return await self.db.write(work)

    async def notice_updates(self, notice_id: int) -> list[NoticeUpdate]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM subscription_updates WHERE notice_id = ? ORDER BY version, id",
                (notice_id,),
            ).fetchall()
        )
        return [_update_from(row) for row in rows]

    # -- deliveries --

    async def claim_deliveries(
        self, holder: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        def work(db: Connection) -> list[Claimed]:
            _give_up_stopped_mails(db, now)
            rows = db.execute(
                "SELECT * FROM subscription_deliveries WHERE (state = ? AND due_at <= ?)"
                " OR (state = ? AND lease_until < ?) ORDER BY due_at, id LIMIT ?",
                (
                    DeliveryState.QUEUED.value,
                    ts(now),
                    DeliveryState.SENDING.value,
                    ts(now),
                    limit,
                ),
            ).fetchall()
            return [_claim(db, delivery_from(row), holder, now, lease_until) for row in rows]

        return await self.db.write(work, queue=CLAIMS)

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
        def work(db: Connection) -> bool:
            row = db.execute(
                "SELECT attempts FROM subscription_deliveries WHERE id = ? AND claimed_by = ?"
                " AND state = ?",
                (delivery_id, holder, DeliveryState.SENDING.value),
            ).fetchone()
            if row is None:
                return False
            due = ts(retry_at) if retry_at is not None else None
            db.execute(
                "UPDATE subscription_deliveries SET state = ?, error = ?, ref = ?,"
                " updated_at = ?, sent_at = ?, due_at = COALESCE(?, due_at), claimed_by = '',"
                " lease_until = NULL WHERE id = ?",
                (
                    state.value,
                    error,
                    ref,
                    ts(at),
                    ts(at) if state is DeliveryState.SENT else None,
                    due,
                    delivery_id,
                ),
            )
            status = "sent" if state is DeliveryState.SENT else "failed"
            _end_attempt(db, delivery_id, row["attempts"], status, at, error)
            return True

        return await self.db.write(work)

    async def renew_delivery_leases(
        self, holder: str, delivery_ids: Sequence[int], until: datetime
    ) -> None:
        if not delivery_ids:
            return
        marks = ",".join("?" * len(delivery_ids))
        await self.db.write(
            lambda db: db.execute(
                f"UPDATE subscription_deliveries SET lease_until = ? WHERE claimed_by = ?"
                f" AND state = ? AND id IN ({marks})",
                (ts(until), holder, DeliveryState.SENDING.value, *delivery_ids),
            )
        )

    async def deliveries(
        self,
        *,
        notice_id: int | None = None,
        subscriber_id: int | None = None,
        limit: int = 1000,
    ) -> list[Delivery]:
        clauses, values = [], []
        if notice_id is not None:
            clauses.append("update_id IN (SELECT id FROM subscription_updates WHERE notice_id = ?)")
            values.append(notice_id)
        if subscriber_id is not None:
            clauses.append("subscriber_id = ?")
            values.append(subscriber_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT * FROM subscription_deliveries {where} ORDER BY id LIMIT ?"
        rows = await self.db.run(lambda db: db.execute(query, (*values, limit)).fetchall())
        return [delivery_from(row) for row in rows]

    async def delivery_attempts(self, delivery_ids: Sequence[int]) -> list[Attempt]:
        if not delivery_ids:
            return []
        marks = ",".join("?" * len(delivery_ids))
        rows = await self.db.run(
            lambda db: db.execute(
                f"SELECT * FROM subscription_attempts WHERE delivery_id IN ({marks})"
                " ORDER BY delivery_id, attempt",
                tuple(delivery_ids),
            ).fetchall()
        )
        return [_attempt_from(row) for row in rows]


def _remove(db: Connection, subscriber_ids: Sequence[int]) -> int:
    """Delete subscribers with their deliveries and attempts; how many were deleted."""
    removed = 0
    for subscriber_id in subscriber_ids:
        db.execute(
            "DELETE FROM subscription_attempts WHERE delivery_id IN"
            " (SELECT id FROM subscription_deliveries WHERE subscriber_id = ?)",
            (subscriber_id,),
        )
        db.execute("DELETE FROM subscription_deliveries WHERE subscriber_id = ?", (subscriber_id,))
        removed += db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,)).rowcount
    return removed


def _queue_for_subscribers(
    db: Connection, update_id: int, update: NoticeUpdate, at: datetime
) -> int:
    rows = db.execute(
        "SELECT id, kind, components FROM subscribers WHERE state = ? ORDER BY id",
        (SubscriberState.ACTIVE.value,),
    ).fetchall()
    values = [
        _delivery_values(
            Delivery(
                0,
                f"notice:{update.notice_id}:{update.version}:{row['id']}",
                row["id"],
                Purpose.NOTICE,
                SubscriberKind(row["kind"]),
                DeliveryState.QUEUED,
                at,
                at,
                at,
                update_id=update_id,
            ),
            row["id"],
        )
        for row in rows
        if concerns(from_json(row["components"]), update.components)
    ]
    if values:
        db.executemany(
            f"INSERT INTO subscription_deliveries ({_DELIVERY_COLUMNS}) VALUES"
            " (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (delivery_key) DO NOTHING",
            values,
        )
    return len(values)


def _give_up_stopped_mails(db: Connection, now: datetime) -> None:
    """Mails left ``sending`` by a process that stopped: ``unknown``, never sent again."""
    rows = db.execute(
        "SELECT id, attempts FROM subscription_deliveries WHERE state = ? AND lease_until < ?"
        " AND channel = ?",
        (DeliveryState.SENDING.value, ts(now), SubscriberKind.EMAIL.value),
    ).fetchall()
    for row in rows:
        db.execute(
            "UPDATE subscription_deliveries SET state = ?, error = ?, updated_at = ?,"
            " claimed_by = '', lease_until = NULL WHERE id = ?",
            (DeliveryState.UNKNOWN.value, STOPPED, ts(now), row["id"]),
        )
        _end_attempt(db, row["id"], row["attempts"], "unknown", now, STOPPED)


def _claim(
    db: Connection, delivery: Delivery, holder: str, now: datetime, lease_until: datetime
) -> Claimed:
    if delivery.state is DeliveryState.SENDING:  # a webhook whose sender stopped: resend
        _end_attempt(db, delivery.id, delivery.attempts, "unknown", now, "surge stopped")
    attempt = delivery.attempts + 1
    db.execute(
        "UPDATE subscription_deliveries SET state = ?, attempts = ?, claimed_by = ?,"
        " lease_until = ?, updated_at = ? WHERE id = ?",
        (DeliveryState.SENDING.value, attempt, holder, ts(lease_until), ts(now), delivery.id),
    )
    db.execute(
        "INSERT INTO subscription_attempts (delivery_id, attempt, status, started_at)"
        " VALUES (?,?,?,?)",
        (delivery.id, attempt, "sending", ts(now)),
    )
    delivery.state, delivery.attempts = DeliveryState.SENDING, attempt
    delivery.claimed_by, delivery.lease_until = holder, lease_until
    subscriber = _one_subscriber(db, delivery.subscriber_id)
    assert subscriber is not None  # removing a subscriber removes its deliveries
    update = None
    if delivery.update_id is not None:
        row = db.execute(
            "SELECT * FROM subscription_updates WHERE id = ?", (delivery.update_id,)
        ).fetchone()
        update = _update_from(row)
    return Claimed(delivery, subscriber, update)
