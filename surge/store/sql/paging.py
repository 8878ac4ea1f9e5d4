"""The store's side of paging: escalations, pages, and when standby people were last called."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.store.records import RunStatus, TimelineEntry
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, from_json, insert_entries, opt_dt, opt_ts, to_json, ts


def _escalation(row: Any) -> Escalation:
    return Escalation(
        id=row["id"],
        incident_id=row["incident_id"],
        key=row["key"],
        purpose=row["purpose"],
        policy=row["policy"],
        run_id=row["run_id"],
        started_at=dt(row["started_at"]),
        due_at=dt(row["due_at"]),
        round=row["round"],
        level=row["level"],
        people=from_json(row["people"]),
        wanted=row["wanted"],
        ended_at=opt_dt(row["ended_at"]),
        outcome=row["outcome"],
        acked_by=row["acked_by"],
        acked_at=opt_dt(row["acked_at"]),
        data=from_json(row["data"]),
    )


def _page(row: Any) -> PageRecord:
    return PageRecord(
        id=row["id"],
        escalation_id=row["escalation_id"],
        incident_id=row["incident_id"],
        key=row["key"],
        person=row["person"],
        round=row["round"],
        level=row["level"],
        method=row["method"],
        pager=row["pager"],
        address=row["address"],
        status=PageStatus(row["status"]),
        created_at=dt(row["created_at"]),
        sent_at=opt_dt(row["sent_at"]),
        error=row["error"],
        answer=row["answer"],
        answered_at=opt_dt(row["answered_at"]),
        answered_via=row["answered_via"],
    )


def _one(db: Connection, query: str, values: tuple[Any, ...]) -> Any:
    return db.execute(query, values).fetchone()


class PagingStore:
    db: Database

    async def start_escalation(
        self, escalation: Escalation, entries: Sequence[TimelineEntry]
    ) -> Escalation:
        item = escalation

        def work(db: Connection) -> Escalation:
            row = db.execute(
                "INSERT INTO escalations (incident_id, key, purpose, policy, run_id, started_at,"
                " due_at, round, level, people, wanted, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO NOTHING RETURNING id",
                (
                    item.incident_id,
                    item.key,
                    item.purpose,
                    item.policy,
                    item.run_id,
                    ts(item.started_at),
                    ts(item.due_at),
                    item.round,
                    item.level,
                    to_json(item.people),
                    item.wanted,
                    to_json(item.data),
                ),
            ).fetchone()
            if row is not None:
                insert_entries(db, entries)
            stored = _one(db, "SELECT * FROM escalations WHERE key = ?", (item.key,))
            assert stored is not None
            return _escalation(stored)

        return await self.db.write(work)

    async def escalation(self, escalation_id: int) -> Escalation | None:
        row = await self.db.run(
            lambda db: _one(db, "SELECT * FROM escalations WHERE id = ?", (escalation_id,))
        )
        return _escalation(row) if row else None

    async def escalations(self, incident_id: int) -> list[Escalation]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM escalations WHERE incident_id = ? ORDER BY id", (incident_id,)
            ).fetchall()
        )
        return [_escalation(row) for row in rows]

    async def update_escalation(
        self, escalation: Escalation, expected: tuple[int, int], entries: Sequence[TimelineEntry]
    ) -> bool:
        item = escalation

        def work(db: Connection) -> bool:
            cursor = db.execute(
                "UPDATE escalations SET round = ?, level = ?, people = ?, due_at = ?, wanted = ?,"
                " ended_at = ?, outcome = ?, data = ? WHERE id = ? AND round = ? AND level = ?"
                " AND ended_at IS NULL",
                (
                    item.round,
                    item.level,
                    to_json(item.people),
                    ts(item.due_at),
                    item.wanted,
                    opt_ts(item.ended_at),
                    item.outcome,
                    to_json(item.data),
                    item.id,
                    *expected,
                ),
            )
            if cursor.rowcount == 0:
                return False
            insert_entries(db, entries)
            return True

        return await self.db.write(work)

    async def begin_page(
        self, page: PageRecord, entries: Sequence[TimelineEntry]
    ) -> tuple[PageRecord, bool]:
        item = page

        def work(db: Connection) -> tuple[PageRecord, bool]:
            row = db.execute(
                "INSERT INTO pages (escalation_id, incident_id, key, person, round, level, method,"
                " pager, address, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO NOTHING RETURNING id",
                (
                    item.escalation_id,
                    item.incident_id,
                    item.key,
                    item.person,
                    item.round,
                    item.level,
                    item.method,
                    item.pager,
                    item.address,
                    PageStatus.SENDING.value,
                    ts(item.created_at),
                ),
            ).fetchone()
            if row is not None:
                insert_entries(db, entries)
            stored = _one(db, "SELECT * FROM pages WHERE key = ?", (item.key,))
            assert stored is not None
            return _page(stored), row is not None

        return await self.db.write(work)

    async def finish_page(
        self,
        page_id: int,
        status: PageStatus,
        at: datetime,
        error: str,
        entries: Sequence[TimelineEntry],
    ) -> None:
        def work(db: Connection) -> None:
            sent = ts(at) if status is PageStatus.SENT else None
            db.execute(
                "UPDATE pages SET status = ?, sent_at = ?, error = ? WHERE id = ?",
                (status.value, sent, error, page_id),
            )
            insert_entries(db, entries)

        await self.db.write(work)

    async def page(self, page_id: int) -> PageRecord | None:
        row = await self.db.run(lambda db: _one(db, "SELECT * FROM pages WHERE id = ?", (page_id,)))
        return _page(row) if row else None

    async def pages(self, incident_id: int) -> list[PageRecord]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM pages WHERE incident_id = ? ORDER BY id", (incident_id,)
            ).fetchall()
        )
        return [_page(row) for row in rows]

    async def answer_page(
        self, page_id: int, answer: Answer, via: str, at: datetime, entries: Sequence[TimelineEntry]
    ) -> PageRecord | None:
        def work(db: Connection) -> PageRecord | None:
            cursor = db.execute(
                "UPDATE pages SET answer = ?, answered_at = ?, answered_via = ?"
                " WHERE id = ? AND answer = ''",
                (answer.value, ts(at), via, page_id),
            )
            if cursor.rowcount == 0:
                return None
            row = _one(db, "SELECT * FROM pages WHERE id = ?", (page_id,))
            assert row is not None
            if answer is Answer.ACK:
                db.execute(
                    "UPDATE escalations SET acked_by = ?, acked_at = ? WHERE id = ?"
                    " AND acked_at IS NULL",
                    (row["person"], ts(at), row["escalation_id"]),
                )
            insert_entries(db, entries)
            return _page(row)

        return await self.db.write(work)

    async def called(self, people: Sequence[str], at: datetime) -> None:
        await self.db.write(
            lambda db: db.executemany(
                "INSERT INTO standby_calls (person, last_called_at) VALUES (?,?)"
                " ON CONFLICT (person) DO UPDATE SET last_called_at = excluded.last_called_at",
                [(person, ts(at)) for person in people],
            )
        )

    async def last_called(self) -> dict[str, datetime]:
        rows = await self.db.run(
            lambda db: db.execute("SELECT person, last_called_at FROM standby_calls").fetchall()
        )
        return {row["person"]: dt(row["last_called_at"]) for row in rows}

    async def wake_run(self, run_id: int, at: datetime) -> None:
        await self.db.write(
            lambda db: db.execute(
                "UPDATE step_runs SET due_at = ? WHERE id = ? AND status = ? AND due_at > ?",
                (ts(at), run_id, RunStatus.WAITING.value, ts(at)),
            )
        )
