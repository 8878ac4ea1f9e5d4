"""The embedded store: one SQLite file in WAL mode.

Each store method is one transaction run on a single worker thread, so blocking SQLite
calls never stall the event loop and a transaction is never interleaved with another.
(aiosqlite hops threads once per statement; a whole transaction per hop is both atomic
without extra locks and cheaper.) Write transactions use ``BEGIN IMMEDIATE`` so several
processes on one file (the server and the CLI) queue on the write lock instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from surge.store.base import Store, StoreError
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

T = TypeVar("T")
_OPEN_RUN = (RunStatus.PENDING.value, RunStatus.WAITING.value)


def sqlite_path(url: str) -> tuple[Path, dict[str, str]]:
    """``sqlite:///var/surge.db`` is relative to the working directory; ``sqlite:////srv/x.db``
    (four slashes) is absolute."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise StoreError(f"not a sqlite URL: {url}")
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise StoreError(f"{url}: name a file, e.g. sqlite:///var/surge.db")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return Path(path), options


class SqliteStore(Store):
    def __init__(self, url: str) -> None:
        self.url = url
        self.path, options = sqlite_path(url)
        self.synchronous = options.get("synchronous", "normal").upper()
        if self.synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise StoreError(f"{url}: synchronous must be off, normal, full or extra")
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    # -- plumbing --

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None or self._db is None:
            raise StoreError("the store is not open")
        db = self._db
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, db)

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def transaction(db: sqlite3.Connection) -> T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return await self._run(transaction)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="surge-sqlite")
        loop = asyncio.get_running_loop()
        try:
            self._db = await loop.run_in_executor(self._executor, self._connect)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open {self.path}: {error}") from None
        await self._migrate()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self.synchronous}")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        return db

    async def close(self) -> None:
        if self._db is not None and self._executor is not None:
            db = self._db
            await asyncio.get_running_loop().run_in_executor(self._executor, db.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._db = None
        self._executor = None

    async def _migrate(self) -> None:
        scripts = sorted(
            (entry.name, entry.read_text("utf-8"))
            for entry in resources.files("surge.store").joinpath("migrations/sqlite").iterdir()
            if entry.name.endswith(".sql")
        )

        def migrate(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
                current = row[0] or 0
                if current > len(scripts):
                    raise StoreError(
                        f"{self.path} has schema {current}, newer than this surge knows "
                        f"({len(scripts)}): upgrade surge"
                    )
                for number, (_, script) in enumerate(scripts, start=1):
                    if number <= current:
                        continue
                    for statement in _statements(script):
                        db.execute(statement)
                    db.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

        await self._run(migrate)

    async def schema_version(self) -> int:
        row = await self._run(
            lambda db: db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        )
        return int(row[0] or 0)

    # -- incidents --

    async def create_incident(
        self, incident: Incident, first_runs: Sequence[NewRun], entries: Sequence[TimelineEntry]
    ) -> Incident:
        def work(db: sqlite3.Connection) -> Incident:
            cursor = db.execute(
                "INSERT INTO incidents (playbook_id, title, severity, status, trigger,"
                " triggered_by,"
                " params, context, group_key, playbook_hash, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    incident.playbook_id,
                    incident.title,
                    incident.severity,
                    incident.status.value,
                    incident.trigger,
                    incident.triggered_by,
                    _json(incident.params),
                    _json(incident.context),
                    incident.group_key,
                    incident.playbook_hash,
                    _ts(incident.created_at),
                    _ts(incident.updated_at),
                ),
            )
            incident.id = int(cursor.lastrowid or 0)
            _insert_runs(db, incident.id, first_runs)
            _insert_entries(db, entries, incident.id)
            return incident

        return await self._write(work)

    async def get_incident(self, incident_id: int) -> Incident | None:
        row = await self._run(
            lambda db: db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        )
        return _incident(row) if row else None

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
        rows = await self._run(lambda db: db.execute(query, (*values, limit)).fetchall())
        return [_incident(row) for row in rows]

    async def incident_counts(self) -> dict[tuple[str, str, IncidentStatus], int]:
        rows = await self._run(
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
    ) -> tuple[Incident, IncidentStatus] | None:
        allowed = {status.value for status in allowed_from}

        def work(db: sqlite3.Connection) -> tuple[Incident, IncidentStatus] | None:
            row = db.execute("SELECT status FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None or row["status"] not in allowed:
                return None
            previous = IncidentStatus(row["status"])
            closing = not new.is_open
            db.execute(
                "UPDATE incidents SET status = ?, updated_at = ?, resolved_at = ? WHERE id = ?",
                (new.value, _ts(at), _ts(at) if closing else None, incident_id),
            )
            db.execute(
                "UPDATE step_runs SET due_at = ? WHERE incident_id = ? AND status = ?"
                " AND wake_on_status = 1",
                (_ts(at), incident_id, RunStatus.WAITING.value),
            )
            _insert_entries(db, entries, incident_id)
            if closing:
                _skip_open_steps(db, incident_id, at, new)
            _insert_runs(db, incident_id, new_runs)
            updated = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            return _incident(updated), previous

        return await self._write(work)

    # -- timeline --

    async def append_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        await self._write(lambda db: _insert_entries(db, entries))

    async def timeline(self, incident_id: int, after_id: int = 0) -> list[TimelineEntry]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT * FROM timeline WHERE incident_id = ? AND id > ? ORDER BY id",
                (incident_id, after_id),
            ).fetchall()
        )
        return [_entry(row) for row in rows]

    # -- step runs --

    async def claim_due_runs(
        self, engine_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[StepRun]:
        def work(db: sqlite3.Connection) -> list[StepRun]:
            rows = db.execute(
                "SELECT * FROM step_runs WHERE (status IN (?,?) AND due_at <= ?)"
                " OR (status = ? AND lease_until < ?) ORDER BY due_at, id LIMIT ?",
                (*_OPEN_RUN, _ts(now), RunStatus.RUNNING.value, _ts(now), limit),
            ).fetchall()
            claimed = []
            for row in rows:
                db.execute(
                    "UPDATE step_runs SET status = ?, claimed_by = ?, lease_until = ?,"
                    " started_at = COALESCE(started_at, ?) WHERE id = ?",
                    (RunStatus.RUNNING.value, engine_id, _ts(lease_until), _ts(now), row["id"]),
                )
                run = _run(row)
                run.orphaned = run.status is RunStatus.RUNNING
                run.status, run.claimed_by = RunStatus.RUNNING, engine_id
                claimed.append(run)
            return claimed

        return await self._write(work)

    async def renew_leases(
        self, engine_id: str, run_ids: Sequence[int], lease_until: datetime
    ) -> None:
        if not run_ids:
            return
        marks = ",".join("?" * len(run_ids))
        await self._write(
            lambda db: db.execute(
                f"UPDATE step_runs SET lease_until = ? WHERE claimed_by = ? AND status = ?"
                f" AND id IN ({marks})",
                (_ts(lease_until), engine_id, RunStatus.RUNNING.value, *run_ids),
            )
        )

    async def mark_run_started(
        self, run_id: int, engine_id: str, args: dict[str, object], entries: Sequence[TimelineEntry]
    ) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE step_runs SET args = ? WHERE id = ? AND claimed_by = ? AND status = ?",
                (_json(args), run_id, engine_id, RunStatus.RUNNING.value),
            )
            if cursor.rowcount == 0:
                return False
            _insert_entries(db, entries)
            return True

        return await self._write(work)

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
        def work(db: sqlite3.Connection) -> StepRun | None:
            cursor = db.execute(
                "UPDATE step_runs SET status = ?, finished_at = ?, result = ?, error = ?,"
                " lease_until = NULL WHERE id = ? AND claimed_by = ? AND status = ?",
                (
                    status.value,
                    _ts(at),
                    _json_or_null(result),
                    error,
                    run_id,
                    engine_id,
                    RunStatus.RUNNING.value,
                ),
            )
            if cursor.rowcount == 0:
                return None
            row = db.execute("SELECT * FROM step_runs WHERE id = ?", (run_id,)).fetchone()
            _insert_entries(db, entries)
            incident = db.execute(
                "SELECT status FROM incidents WHERE id = ?", (row["incident_id"],)
            ).fetchone()
            still_open = IncidentStatus(incident["status"]).is_open
            runs = [run for run in next_runs if still_open or run.phase is Phase.ON_RESOLVE]
            _insert_runs(db, row["incident_id"], runs)
            return _run(row)

        return await self._write(work)

    async def defer_run(
        self,
        run_id: int,
        engine_id: str,
        due_at: datetime,
        resume: dict[str, object],
        wake_on_status: bool,
        entries: Sequence[TimelineEntry],
        at: datetime,
    ) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            if _closed_under(db, run_id):  # closed while the action ran: no wait is left
                _skip_runs(db, [run_id], at, "closed")
                return False
            cursor = db.execute(
                "UPDATE step_runs SET status = ?, due_at = ?, resume = ?, wake_on_status = ?,"
                " claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?"
                " AND status = ?",
                (
                    RunStatus.WAITING.value,
                    _ts(due_at),
                    _json(resume),
                    int(wake_on_status),
                    run_id,
                    engine_id,
                    RunStatus.RUNNING.value,
                ),
            )
            if cursor.rowcount == 0:
                return False
            _insert_entries(db, entries)
            return True

        return await self._write(work)

    async def runs(self, incident_id: int) -> list[StepRun]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT * FROM step_runs WHERE incident_id = ? ORDER BY id", (incident_id,)
            ).fetchall()
        )
        return [_run(row) for row in rows]

    async def next_due_at(self) -> datetime | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT MIN(t) FROM (SELECT MIN(due_at) AS t FROM step_runs WHERE status IN (?,?)"
                " UNION ALL SELECT MIN(lease_until) FROM step_runs WHERE status = ?)",
                (*_OPEN_RUN, RunStatus.RUNNING.value),
            ).fetchone()
        )
        return _dt(row[0]) if row and row[0] is not None else None

    # -- tokens --

    async def add_token(self, token: TokenRecord) -> None:
        def work(db: sqlite3.Connection) -> None:
            try:
                db.execute(
                    "INSERT INTO tokens (name, role, sha256, created_at) VALUES (?,?,?,?)",
                    (token.name, token.role, token.sha256, _ts(token.created_at)),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"a token named {token.name!r} exists already") from None

        await self._write(work)

    async def list_tokens(self) -> list[TokenRecord]:
        rows = await self._run(
            lambda db: db.execute("SELECT * FROM tokens ORDER BY name").fetchall()
        )
        return [_token(row) for row in rows]

    async def revoke_token(self, name: str, at: datetime) -> bool:
        cursor = await self._write(
            lambda db: db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (_ts(at), name),
            )
        )
        return cursor.rowcount > 0

    async def find_token(self, sha256: str) -> TokenRecord | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT * FROM tokens WHERE sha256 = ? AND revoked_at IS NULL", (sha256,)
            ).fetchone()
        )
        return _token(row) if row else None

    # -- engines --

    async def heartbeat(self, engine: EngineRecord) -> None:
        await self._write(
            lambda db: db.execute(
                "INSERT INTO engines (id, host, pid, started_at, seen_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
                (engine.id, engine.host, engine.pid, _ts(engine.started_at), _ts(engine.seen_at)),
            )
        )

    async def engines(self, seen_since: datetime) -> list[EngineRecord]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT * FROM engines WHERE seen_at >= ? ORDER BY started_at", (_ts(seen_since),)
            ).fetchall()
        )
        return [
            EngineRecord(
                row["id"], row["host"], row["pid"], _dt(row["started_at"]), _dt(row["seen_at"])
            )
            for row in rows
        ]

    async def remove_engine(self, engine_id: str) -> None:
        await self._write(lambda db: db.execute("DELETE FROM engines WHERE id = ?", (engine_id,)))


# -- rows and values --


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _opt_dt(value: float | None) -> datetime | None:
    return _dt(value) if value is not None else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def _json_or_null(value: Any) -> str | None:
    return None if value is None else _json(value)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _insert_runs(db: sqlite3.Connection, incident_id: int, runs: Sequence[NewRun]) -> None:
    db.executemany(
        "INSERT INTO step_runs (incident_id, phase, step_index, step_id, action, attempt, status,"
        " due_at) VALUES (?,?,?,?,?,?,?,?)",
        [
            (
                incident_id,
                run.phase.value,
                run.step_index,
                run.step_id,
                run.action,
                run.attempt,
                RunStatus.PENDING.value,
                _ts(run.due_at),
            )
            for run in runs
        ],
    )


def _insert_entries(
    db: sqlite3.Connection, entries: Sequence[TimelineEntry], incident_id: int | None = None
) -> None:
    db.executemany(
        "INSERT INTO timeline (incident_id, at, actor, kind, message, data) VALUES (?,?,?,?,?,?)",
        [
            (
                incident_id or entry.incident_id,
                _ts(entry.at),
                entry.actor,
                entry.kind,
                entry.message,
                _json(entry.data),
            )
            for entry in entries
        ],
    )


def _closed_under(db: sqlite3.Connection, run_id: int) -> bool:
    """Whether the run belongs to the ``steps`` phase of an incident closed meanwhile."""
    row = db.execute(
        "SELECT r.phase, i.status FROM step_runs r JOIN incidents i ON i.id = r.incident_id"
        " WHERE r.id = ?",
        (run_id,),
    ).fetchone()
    return (
        bool(row)
        and row["phase"] == Phase.STEPS.value
        and not IncidentStatus(row["status"]).is_open
    )


def _skip_open_steps(
    db: sqlite3.Connection, incident_id: int, at: datetime, status: IncidentStatus
) -> None:
    rows = db.execute(
        "SELECT id FROM step_runs WHERE incident_id = ? AND phase = ? AND status IN (?,?)",
        (incident_id, Phase.STEPS.value, *_OPEN_RUN),
    ).fetchall()
    _skip_runs(db, [row["id"] for row in rows], at, status.value)


def _skip_runs(db: sqlite3.Connection, run_ids: Sequence[int], at: datetime, why: str) -> None:
    """Mark runs skipped because their incident was closed, each with a timeline entry."""
    entries = []
    for run_id in run_ids:
        row = db.execute(
            "SELECT incident_id, step_id FROM step_runs WHERE id = ?", (run_id,)
        ).fetchone()
        db.execute(
            "UPDATE step_runs SET status = ?, finished_at = ?, error = ?, lease_until = NULL"
            " WHERE id = ?",
            (RunStatus.SKIPPED.value, _ts(at), f"the incident was {why}", run_id),
        )
        entries.append(
            TimelineEntry(
                row["incident_id"],
                at,
                "engine",
                "step.skipped",
                f"{row['step_id']}: skipped, the incident was {why}",
                {"step": row["step_id"]},
            )
        )
    _insert_entries(db, entries)


def _incident(row: sqlite3.Row) -> Incident:
    return Incident(
        id=row["id"],
        playbook_id=row["playbook_id"],
        title=row["title"],
        severity=row["severity"],
        status=IncidentStatus(row["status"]),
        trigger=row["trigger"],
        triggered_by=row["triggered_by"],
        params=json.loads(row["params"]),
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        group_key=row["group_key"],
        context=json.loads(row["context"]),
        playbook_hash=row["playbook_hash"],
        resolved_at=_opt_dt(row["resolved_at"]),
    )


def _entry(row: sqlite3.Row) -> TimelineEntry:
    return TimelineEntry(
        incident_id=row["incident_id"],
        at=_dt(row["at"]),
        actor=row["actor"],
        kind=row["kind"],
        message=row["message"],
        data=json.loads(row["data"]),
        id=row["id"],
    )


def _run(row: sqlite3.Row) -> StepRun:
    return StepRun(
        id=row["id"],
        incident_id=row["incident_id"],
        phase=Phase(row["phase"]),
        step_index=row["step_index"],
        step_id=row["step_id"],
        action=row["action"],
        attempt=row["attempt"],
        status=RunStatus(row["status"]),
        due_at=_dt(row["due_at"]),
        claimed_by=row["claimed_by"],
        lease_until=_opt_dt(row["lease_until"]),
        started_at=_opt_dt(row["started_at"]),
        finished_at=_opt_dt(row["finished_at"]),
        args=_load(row["args"]),
        result=_load(row["result"]),
        error=row["error"],
        resume=_load(row["resume"]),
        wake_on_status=bool(row["wake_on_status"]),
    )


def _token(row: sqlite3.Row) -> TokenRecord:
    return TokenRecord(
        row["name"], row["role"], row["sha256"], _dt(row["created_at"]), _opt_dt(row["revoked_at"])
    )
