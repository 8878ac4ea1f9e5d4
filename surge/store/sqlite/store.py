"""The embedded store: one SQLite file in WAL mode (see ``database`` for how it runs)."""

from __future__ import annotations

from datetime import datetime

from surge.store.records import RunStatus, StepRun
from surge.store.replicas import ChangeFeed, Leadership
from surge.store.sql.connection import Connection
from surge.store.sql.rows import OPEN_RUN, claimed_run, ts
from surge.store.sql.store import SqlStore
from surge.store.sqlite.database import SqliteDatabase
from surge.store.sqlite.replicas import LeaseLeadership, PollingFeed


class SqliteStore(SqlStore):
    def __init__(self, url: str) -> None:
        db = SqliteDatabase(url)
        super().__init__(url, db)
        self.path = db.path
        self._feed: PollingFeed | None = None

    async def close(self) -> None:
        if self._feed is not None:
            await self._feed.stop()
        await super().close()

    def leadership(self, name: str, holder: str, lease: float) -> Leadership:
        return LeaseLeadership(self, name, holder, lease)

    def changes(self, poll_interval: float) -> ChangeFeed:
        if self._feed is None:
            self._feed = PollingFeed(self, poll_interval)
        return self._feed

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
