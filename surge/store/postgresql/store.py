"""The PostgreSQL store, for several ``surge serve`` replicas on one database.

The shared SQL (``surge.store.sql``) does nearly everything; what is PostgreSQL's own:
claims with ``FOR UPDATE SKIP LOCKED``, engines' presence and the leader as advisory locks
on a dedicated session (``session.py``), and the change feed over LISTEN/NOTIFY.
"""

from __future__ import annotations

from datetime import datetime

from surge.store.postgresql.database import READ_COMMITTED, PostgresDatabase
from surge.store.postgresql.feed import PostgresFeed
from surge.store.postgresql.session import PRESENCE, Session
from surge.store.records import EngineRecord, RunStatus, StepRun
from surge.store.replicas import ChangeFeed, Leadership
from surge.store.sql.connection import Connection
from surge.store.sql.rows import OPEN_RUN, claimed_run, ts
from surge.store.sql.store import SqlStore

# An engine is gone when its row is there but nobody holds its presence lock (kill -9, lost
# connection): its running steps are taken over at once, not when their lease runs out.
GONE = (
    "SELECT e.id FROM engines e WHERE NOT EXISTS (SELECT 1 FROM pg_locks l"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ?"
    " AND l.objid = hashtext(e.id)::oid AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
)
DUE = (
    "SELECT * FROM step_runs WHERE (status IN (?,?) AND due_at <= ?) OR (status = ?"
    f" AND (lease_until < ? OR claimed_by IN ({GONE}))) ORDER BY due_at, id LIMIT ?"
    " FOR UPDATE SKIP LOCKED"
)


class PostgresStore(SqlStore):
    def __init__(self, url: str) -> None:
        db = PostgresDatabase(url)
        super().__init__(url, db)
        self.pg = db
        self.session = Session(db.conninfo)
        self._feed: PostgresFeed | None = None

    async def close(self) -> None:
        if self._feed is not None:
            await self._feed.stop()
        await self.session.close()
        await super().close()

    async def _claim(
        self, engine_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[StepRun]:
        def work(db: Connection) -> list[StepRun]:
            running = RunStatus.RUNNING.value
            rows = db.execute(
                DUE, (*OPEN_RUN, ts(now), running, ts(now), PRESENCE, limit)
            ).fetchall()
            if rows:
                db.execute(
                    "UPDATE step_runs SET status = ?, claimed_by = ?, lease_until = ?,"
                    " started_at = COALESCE(started_at, ?) WHERE id = ANY(?)",
                    (running, engine_id, ts(lease_until), ts(now), [row["id"] for row in rows]),
                )
            return [claimed_run(row, engine_id) for row in rows]

        # the row locks keep claims apart; READ COMMITTED lets replicas claim side by side
        return await self.pg.write(work, isolation=READ_COMMITTED)

    async def heartbeat(self, engine: EngineRecord) -> None:
        await self.session.present(engine.id)
        await super().heartbeat(engine)

    async def remove_engine(self, engine_id: str) -> None:
        await super().remove_engine(engine_id)
        await self.session.absent(engine_id)

    def leadership(self, name: str, holder: str, lease: float) -> Leadership:
        return _AdvisoryLeadership(self.session, name)

    def changes(self, poll_interval: float) -> ChangeFeed:
        if self._feed is None:
            self._feed = PostgresFeed(self.pg.conninfo)
        return self._feed

    @property
    def problem(self) -> str | None:
        return self.session.problem


class _AdvisoryLeadership(Leadership):
    def __init__(self, session: Session, name: str) -> None:
        self.session = session
        self.name = name

    async def attempt(self) -> bool:
        leading = await self.session.lead(self.name)
        self.problem = self.session.problem
        return leading

    async def resign(self) -> None:
        await self.session.resign(self.name)
