"""The store's side of affected customers. Portable SQL (both backends run it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from surge.customers.records import AffectedCustomer
from surge.store.records import TimelineEntry
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, insert_entries, ts

_COLUMNS = "incident_id, ref, channel, contact, note, added_by, added_at"


def _customer(row: Any) -> AffectedCustomer:
    return AffectedCustomer(
        incident_id=row["incident_id"],
        ref=row["ref"],
        channel=row["channel"],
        contact=row["contact"],
        note=row["note"],
        added_by=row["added_by"],
        added_at=dt(row["added_at"]),
        id=row["id"],
    )


class CustomerStore:
    db: Database

    async def add_customer(
        self, customer: AffectedCustomer, entries: Sequence[TimelineEntry] = ()
    ) -> tuple[AffectedCustomer, bool]:
        def work(db: Connection) -> tuple[AffectedCustomer, bool]:
            row = db.execute(
                "INSERT INTO affected_customers (" + _COLUMNS + ") VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT (incident_id, ref) DO NOTHING RETURNING id",
                (
                    customer.incident_id,
                    customer.ref,
                    customer.channel,
                    customer.contact,
                    customer.note,
                    customer.added_by,
                    ts(customer.added_at),
                ),
            ).fetchone()
            if row is None:
                found = db.execute(
                    "SELECT * FROM affected_customers WHERE incident_id = ? AND ref = ?",
                    (customer.incident_id, customer.ref),
                ).fetchone()
                return _customer(found), False
            insert_entries(db, entries)
            return replace(customer, id=int(row["id"])), True

        return await self.db.write(work)

    async def customers(self, incident_id: int) -> list[AffectedCustomer]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM affected_customers WHERE incident_id = ? ORDER BY id",
                (incident_id,),
            ).fetchall()
        )
        return [_customer(row) for row in rows]
