"""The embedded store: one SQLite file in WAL mode (see ``database`` for how it runs)."""

from __future__ import annotations

from datetime import datetime

from surge.store.records import RunStatus, StepRun
from surge.store.sql.connection import Connection
from surge.store.sql.rows import OPEN_RUN, claimed_run, ts
from surge.store.sql.store import SqlStore
from surge.store.sqlite.database import SqliteDatabase


class SqliteStore(SqlStore):
    def __init__(self, url: str) -> None:
        db = SqliteDatabase(url)
        super().__init__(url, db)
        self.path = db.path

    async def _claim(
        self, engine_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[StepRun]:
        # a write transaction holds SQLite's only write lock: nobody claims in between
        def work(db: Connection) -> list[StepRun]:
            rows = db.execute(
                "SELECT * FROM step_runs WHERE (status IN (?,?) AND due_at <= ?)"
                " OR (status = ? AND lease_until < ?) ORDER BY due_at, id LIMIT ?",
                (*OPEN_RUN, ts(now), RunStatus.RUNNING.value, ts(now), limit),
            ).fetchall()
            claimed = []
            for row in rows:
                db.execute(
                    "UPDATE step_runs SET status = ?, claimed_by = ?, lease_until = ?,"
                    " started_at = COALESCE(started_at, ?) WHERE id = ?",
                    (RunStatus.RUNNING.value, engine_id, ts(lease_until), ts(now), row["id"]),
                )
                claimed.append(claimed_run(row, engine_id))
            return claimed

        return await self.db.write(work)
