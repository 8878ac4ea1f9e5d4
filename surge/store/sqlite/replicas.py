"""Leadership and the change feed on SQLite, where processes share one file on one machine:
the leader renews a lease row, and the feed polls for new timeline entries and step runs."""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime, timedelta

from surge.store.replicas import Change, ChangeFeed, Leadership
from surge.store.sql.connection import Connection
from surge.store.sql.store import SqlStore

BATCH = 500  # rows read per poll and table


class LeaseLeadership(Leadership):
    def __init__(self, store: SqlStore, name: str, holder: str, lease: float) -> None:
        self.store = store
        self.name = name
        self.holder = holder
        self.lease = lease

    async def attempt(self) -> bool:
        now = datetime.now(UTC)
        until = now + timedelta(seconds=self.lease)
        try:
            leading = await self.store.acquire_lease(self.name, self.holder, now, until)
        except Exception as error:
            self.problem = f"the store cannot be used: {error}"
            return False
        self.problem = None
        return leading

    async def resign(self) -> None:
        await self.store.db.write(
            lambda db: db.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (self.name, self.holder)
            )
        )


class PollingFeed(ChangeFeed):
    def __init__(self, store: SqlStore, poll_interval: float) -> None:
        super().__init__()
        self.store = store
        self.poll_interval = poll_interval

    async def _produce(self) -> None:
        seen = await self.store.db.run(_newest)
        while True:
            await asyncio.sleep(self.poll_interval)
            changes, seen = await self.store.db.run(functools.partial(_since, after=seen))
            for change in changes:
                self.publish(change)


def _newest(db: Connection) -> tuple[int, int]:
    row = db.execute(
        "SELECT (SELECT MAX(id) FROM timeline) AS entry, (SELECT MAX(id) FROM step_runs) AS run"
    ).fetchone()
    return int(row["entry"] or 0), int(row["run"] or 0)


def _since(db: Connection, *, after: tuple[int, int]) -> tuple[list[Change], tuple[int, int]]:
    entry, run = after
    changes = []
    for row in db.execute(
        "SELECT id, incident_id FROM timeline WHERE id > ? ORDER BY id LIMIT ?", (entry, BATCH)
    ).fetchall():
        changes.append(Change("timeline", row["incident_id"], row["id"]))
        entry = row["id"]
    for row in db.execute(
        "SELECT id, incident_id FROM step_runs WHERE id > ? ORDER BY id LIMIT ?", (run, BATCH)
    ).fetchall():
        changes.append(Change("runs", row["incident_id"]))
        run = row["id"]
    return changes, (entry, run)
