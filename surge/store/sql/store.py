"""The store methods both backends share: one portable SQL transaction per method.

A backend (``surge.store.sqlite``, ``surge.store.postgresql``) subclasses ``SqlStore`` with
its ``Database`` (how transactions run) and the few statements that differ: how due step
runs are claimed, and how replicas elect a leader and hear of changes.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime

from surge.store.base import GroupBusy, Store, StoreError
from surge.store.records import (
    EngineRecord,
    Incident,
    IncidentStatus,
    NewRun,
    Phase,
    RunStatus,
    StepRun,
    TimelineEntry,
    TokenRecord,
)
from surge.store.sql.audit import AuditStore
from surge.store.sql.channel_notices import ChannelNoticeStore
from surge.store.sql.channels import ChannelStore
from surge.store.sql.connection import Connection, Database, IntegrityError
from surge.store.sql.console import ConsoleStore
from surge.store.sql.customers import CustomerStore
from surge.store.sql.notices import NoticeStore
from surge.store.sql.paging import PagingStore
from surge.store.sql.rows import (
    OPEN_RUN,
    closed_under,
    dt,
    entry_from,
    firing_signals,
    incident_from,
    incident_status,
    insert_entries,
    insert_incident,
    insert_runs,
    json_or_null,
    open_in_group,
    run_from,
    skip_open_steps,
    skip_runs,
    to_json,
    token_from,
    ts,
)
from surge.store.sql.scripts import ScriptStore
from surge.store.sql.signals import SignalStore
from surge.store.sql.subscriptions import SubscriptionStore


class SqlStore(
    SignalStore,
    ScriptStore,
    ChannelStore,
    ChannelNoticeStore,
    AuditStore,
    PagingStore,
    SubscriptionStore,
    ConsoleStore,
    CustomerStore,
    NoticeStore,
    Store,
):
    def __init__(self, url: str, db: Database) -> None:
        self.url = url
        self.db = db

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def create_incident(
        self, incident: Incident, first_runs: Sequence[NewRun], entries: Sequence[TimelineEntry]
    ) -> Incident:
        def work(db: Connection) -> Incident:
            busy = open_in_group(db, incident.playbook_id, incident.group_key)
            if busy is not None:
                raise GroupBusy(busy)
            return insert_incident(db, incident, first_runs, entries)

        return await self.db.write(work)

    async def get_incident(self, incident_id: int) -> Incident | None:
        row = await self.db.run(
            lambda db: db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        )
        return incident_from(row) if row else None

    async def list_incidents(
        self,
        *,
        statuses: Iterable[IncidentStatus] = (),
        playbook_id: str | None = None,
        limit: int = 100,
    ) -> list[Incident]:
        clauses, values = [], []
        wanted = [status.value for status in statuses]
        if wanted:
            clauses.append(f"status IN ({','.join('?' * len(wanted))})")
            values.extend(wanted)
        if playbook_id:
            clauses.append("playbook_id = ?")
            values.append(playbook_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT * FROM incidents {where} ORDER BY id DESC LIMIT ?"
        rows = await self.db.run(lambda db: db.execute(query, (*values, limit)).fetchall())
        return [incident_from(row) for row in rows]

    async def incident_counts(self) -> dict[tuple[str, str, IncidentStatus], int]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT playbook_id, trigger, status, COUNT(*) AS n FROM incidents"
                " GROUP BY playbook_id, trigger, status"
            ).fetchall()
        )
        return {
            (row["playbook_id"], row["trigger"], IncidentStatus(row["status"])): row["n"]
            for row in rows
        }

    async def change_status(
        self,
        incident_id: int,
        new: IncidentStatus,
        allowed_from: Iterable[IncidentStatus],
        at: datetime,
        entries: Sequence[TimelineEntry],
        new_runs: Sequence[NewRun] = (),
        *,
        only_if_quiet: bool = False,
    ) -> tuple[Incident, IncidentStatus] | None:
        allowed = {status.value for status in allowed_from}

        def work(db: Connection) -> tuple[Incident, IncidentStatus] | None:
            row = db.execute("SELECT status FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None or row["status"] not in allowed:
                return None
            if only_if_quiet and firing_signals(db, incident_id):
                return None
            previous = IncidentStatus(row["status"])
            closing = not new.is_open
            db.execute(
                "UPDATE incidents SET status = ?, updated_at = ?, resolved_at = ? WHERE id = ?",
                (new.value, ts(at), ts(at) if closing else None, incident_id),
            )
            db.execute(
                "UPDATE step_runs SET due_at = ? WHERE incident_id = ? AND status = ?"
                " AND wake_on_status = 1",
                (ts(at), incident_id, RunStatus.WAITING.value),
            )
            insert_entries(db, entries, incident_id)
            if closing:
                skip_open_steps(db, incident_id, at, new)
            insert_runs(db, incident_id, new_runs)
            updated = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            return incident_from(updated), previous

        return await self.db.write(work)

    # -- timeline --

    async def append_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        await self.db.write(lambda db: insert_entries(db, entries))

    async def timeline(self, incident_id: int, after_id: int = 0) -> list[TimelineEntry]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM timeline WHERE incident_id = ? AND id > ? ORDER BY id",
                (incident_id, after_id),
            ).fetchall()
        )
        return [entry_from(row) for row in rows]

    # -- step runs --

    async def claim_due_runs(
        self, engine_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[StepRun]:
        return await self._claim(engine_id, now, lease_until, limit)

    @abstractmethod
    async def _claim(
        self, engine_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[StepRun]:
        """The backend's claim: each due run goes to exactly one engine."""

    async def renew_leases(
        self, engine_id: str, run_ids: Sequence[int], lease_until: datetime
    ) -> None:
        if not run_ids:
            return
        marks = ",".join("?" * len(run_ids))
        await self.db.write(
            lambda db: db.execute(
                f"UPDATE step_runs SET lease_until = ? WHERE claimed_by = ? AND status = ?"
                f" AND id IN ({marks})",
                (ts(lease_until), engine_id, RunStatus.RUNNING.value, *run_ids),
            )
        )

    async def mark_run_started(
        self, run_id: int, engine_id: str, args: dict[str, object], entries: Sequence[TimelineEntry]
    ) -> bool:
        def work(db: Connection) -> bool:
            cursor = db.execute(
                "UPDATE step_runs SET args = ? WHERE id = ? AND claimed_by = ? AND status = ?",
                (to_json(args), run_id, engine_id, RunStatus.RUNNING.value),
            )
            if cursor.rowcount == 0:
                return False
            insert_entries(db, entries)
            return True

        return await self.db.write(work)

    async def finish_run(
        self,
        run_id: int,
        engine_id: str,
        status: RunStatus,
        at: datetime,
        entries: Sequence[TimelineEntry],
        *,
        result: dict[str, object] | None = None,
        error: str | None = None,
        next_runs: Sequence[NewRun] = (),
    ) -> StepRun | None:
        def work(db: Connection) -> StepRun | None:
            cursor = db.execute(
                "UPDATE step_runs SET status = ?, finished_at = ?, result = ?, error = ?,"
                " lease_until = NULL WHERE id = ? AND claimed_by = ? AND status = ?",
                (
                    status.value,
                    ts(at),
                    json_or_null(result),
                    error,
                    run_id,
                    engine_id,
                    RunStatus.RUNNING.value,
                ),
            )
            if cursor.rowcount == 0:
                return None
            row = db.execute("SELECT * FROM step_runs WHERE id = ?", (run_id,)).fetchone()
            insert_entries(db, entries)
            incident = db.execute(
                "SELECT status FROM incidents WHERE id = ?", (row["incident_id"],)
            ).fetchone()
            still_open = IncidentStatus(incident["status"]).is_open
            runs = [run for run in next_runs if still_open or run.phase is Phase.ON_RESOLVE]
            insert_runs(db, row["incident_id"], runs)
            return run_from(row)

        return await self.db.write(work)

    async def defer_run(
        self,
        run_id: int,
        engine_id: str,
        due_at: datetime,
        resume: dict[str, object],
        wake_on_status: bool,
        entries: Sequence[TimelineEntry],
        at: datetime,
        *,
        seen_status: IncidentStatus | None = None,
    ) -> bool:
        def work(db: Connection) -> bool:
            if closed_under(db, run_id):  # closed while the action ran: no wait is left
                skip_runs(db, [run_id], at, "closed")
                return False
            # change_status wakes only runs already waiting: a change that came while the
            # action ran (an ack while pages went out) makes the wait due at once
            woken = (
                wake_on_status
                and seen_status is not None
                and incident_status(db, run_id) is not seen_status
            )
            due = min(due_at, at) if woken else due_at
            cursor = db.execute(
                "UPDATE step_runs SET status = ?, due_at = ?, resume = ?, wake_on_status = ?,"
                " claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?"
                " AND status = ?",
                (
                    RunStatus.WAITING.value,
                    ts(due),
                    to_json(resume),
                    int(wake_on_status),
                    run_id,
                    engine_id,
                    RunStatus.RUNNING.value,
                ),
            )
            if cursor.rowcount == 0:
                return False
            insert_entries(db, entries)
            return True

        return await self.db.write(work)

    async def runs(self, incident_id: int) -> list[StepRun]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM step_runs WHERE incident_id = ? ORDER BY id", (incident_id,)
            ).fetchall()
        )
        return [run_from(row) for row in rows]

    async def next_due_at(self) -> datetime | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT MIN(t) AS t FROM (SELECT MIN(due_at) AS t FROM step_runs"
                " WHERE status IN (?,?) UNION ALL SELECT MIN(lease_until) AS t FROM step_runs"
                " WHERE status = ?) AS due",
                (*OPEN_RUN, RunStatus.RUNNING.value),
            ).fetchone()
        )
        return dt(row["t"]) if row and row["t"] is not None else None

    # -- tokens --

    async def add_token(self, token: TokenRecord) -> None:
        def work(db: Connection) -> None:
            try:
                db.execute(
                    "INSERT INTO tokens (name, role, sha256, created_at) VALUES (?,?,?,?)",
                    (token.name, token.role, token.sha256, ts(token.created_at)),
                )
            except IntegrityError:
                raise StoreError(f"a token named {token.name!r} exists already") from None

        await self.db.write(work)

    async def list_tokens(self) -> list[TokenRecord]:
        rows = await self.db.run(
            lambda db: db.execute("SELECT * FROM tokens ORDER BY name").fetchall()
        )
        return [token_from(row) for row in rows]

    async def revoke_token(self, name: str, at: datetime) -> bool:
        changed = await self.db.write(
            lambda db: (
                db.execute(
                    "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                    (ts(at), name),
                ).rowcount
            )
        )
        return changed > 0

    async def find_token(self, sha256: str) -> TokenRecord | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM tokens WHERE sha256 = ? AND revoked_at IS NULL", (sha256,)
            ).fetchone()
        )
        return token_from(row) if row else None

    # -- engines --

    async def heartbeat(self, engine: EngineRecord) -> None:
        await self.db.write(
            lambda db: db.execute(
                "INSERT INTO engines (id, host, pid, started_at, seen_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
                (engine.id, engine.host, engine.pid, ts(engine.started_at), ts(engine.seen_at)),
            )
        )

    async def engines(self, seen_since: datetime) -> list[EngineRecord]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM engines WHERE seen_at >= ? ORDER BY started_at", (ts(seen_since),)
            ).fetchall()
        )
        return [
            EngineRecord(
                row["id"], row["host"], row["pid"], dt(row["started_at"]), dt(row["seen_at"])
            )
            for row in rows
        ]

    async def remove_engine(self, engine_id: str) -> None:
        await self.db.write(lambda db: db.execute("DELETE FROM engines WHERE id = ?", (engine_id,)))
