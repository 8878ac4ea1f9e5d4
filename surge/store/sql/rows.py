"""Rows to records and back, and the SQL shared by several store methods (both backends)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from surge.store.records import (
    Incident,
    IncidentStatus,
    NewRun,
    Phase,
    RunStatus,
    StepRun,
    TimelineEntry,
    TokenRecord,
)
from surge.store.sql.connection import Connection

OPEN_RUN = (RunStatus.PENDING.value, RunStatus.WAITING.value)


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def opt_dt(value: float | None) -> datetime | None:
    return dt(value) if value is not None else None


def opt_ts(value: datetime | None) -> float | None:
    return ts(value) if value is not None else None


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def json_or_null(value: Any) -> str | None:
    return None if value is None else to_json(value)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


OPEN_INCIDENT = "status IN ('triggered', 'acknowledged', 'mitigated')"


def open_in_group(db: Connection, playbook_id: str, group_key: str) -> Incident | None:
    """The open incident of this playbook and group, if there is one (none for no group)."""
    if not group_key:
        return None
    row = db.execute(
        f"SELECT * FROM incidents WHERE playbook_id = ? AND group_key = ? AND {OPEN_INCIDENT}"
        " ORDER BY id DESC LIMIT 1",
        (playbook_id, group_key),
    ).fetchone()
    return incident_from(row) if row else None


def firing_signals(db: Connection, incident_id: int) -> int:
    row = db.execute(
        "SELECT COUNT(*) AS n FROM signals WHERE incident_id = ? AND firing = 1", (incident_id,)
    ).fetchone()
    return int(row["n"])


def insert_incident(
    db: Connection,
    incident: Incident,
    first_runs: Sequence[NewRun],
    entries: Sequence[TimelineEntry],
) -> Incident:
    """Insert a new incident with its first runs and timeline; sets ``incident.id``."""
    cursor = db.execute(
        "INSERT INTO incidents (playbook_id, title, severity, status, trigger, triggered_by,"
        " params, context, group_key, playbook_hash, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
        (
            incident.playbook_id,
            incident.title,
            incident.severity,
            incident.status.value,
            incident.trigger,
            incident.triggered_by,
            to_json(incident.params),
            to_json(incident.context),
            incident.group_key,
            incident.playbook_hash,
            ts(incident.created_at),
            ts(incident.updated_at),
        ),
    )
    incident.id = int(cursor.fetchone()["id"])
    insert_runs(db, incident.id, first_runs)
    insert_entries(db, entries, incident.id)
    return incident


def insert_runs(db: Connection, incident_id: int, runs: Sequence[NewRun]) -> None:
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
                ts(run.due_at),
            )
            for run in runs
        ],
    )


def insert_entries(
    db: Connection, entries: Sequence[TimelineEntry], incident_id: int | None = None
) -> None:
    db.executemany(
        "INSERT INTO timeline (incident_id, at, actor, kind, message, data) VALUES (?,?,?,?,?,?)",
        [
            (
                incident_id or entry.incident_id,
                ts(entry.at),
                entry.actor,
                entry.kind,
                entry.message,
                to_json(entry.data),
            )
            for entry in entries
        ],
    )


def incident_status(db: Connection, run_id: int) -> IncidentStatus | None:
    """The status of the run's incident now (None when there is no such run)."""
    row = db.execute(
        "SELECT i.status FROM step_runs r JOIN incidents i ON i.id = r.incident_id WHERE r.id = ?",
        (run_id,),
    ).fetchone()
    return IncidentStatus(row["status"]) if row else None


def closed_under(db: Connection, run_id: int) -> bool:
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


def skip_open_steps(db: Connection, incident_id: int, at: datetime, status: IncidentStatus) -> None:
    rows = db.execute(
        "SELECT id FROM step_runs WHERE incident_id = ? AND phase = ? AND status IN (?,?)",
        (incident_id, Phase.STEPS.value, *OPEN_RUN),
    ).fetchall()
    skip_runs(db, [row["id"] for row in rows], at, status.value)


def skip_runs(db: Connection, run_ids: Sequence[int], at: datetime, why: str) -> None:
    """Mark runs skipped because their incident was closed, each with a timeline entry."""
    entries = []
    for run_id in run_ids:
        row = db.execute(
            "SELECT incident_id, step_id FROM step_runs WHERE id = ?", (run_id,)
        ).fetchone()
        db.execute(
            "UPDATE step_runs SET status = ?, finished_at = ?, error = ?, lease_until = NULL"
            " WHERE id = ?",
            (RunStatus.SKIPPED.value, ts(at), f"the incident was {why}", run_id),
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
    insert_entries(db, entries)


def incident_from(row: Any) -> Incident:
    return Incident(
        id=row["id"],
        playbook_id=row["playbook_id"],
        title=row["title"],
        severity=row["severity"],
        status=IncidentStatus(row["status"]),
        trigger=row["trigger"],
        triggered_by=row["triggered_by"],
        params=json.loads(row["params"]),
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        group_key=row["group_key"],
        context=json.loads(row["context"]),
        playbook_hash=row["playbook_hash"],
        resolved_at=opt_dt(row["resolved_at"]),
    )


def entry_from(row: Any) -> TimelineEntry:
    return TimelineEntry(
        incident_id=row["incident_id"],
        at=dt(row["at"]),
        actor=row["actor"],
        kind=row["kind"],
        message=row["message"],
        data=json.loads(row["data"]),
        id=row["id"],
    )


def run_from(row: Any) -> StepRun:
    return StepRun(
        id=row["id"],
        incident_id=row["incident_id"],
        phase=Phase(row["phase"]),
        step_index=row["step_index"],
        step_id=row["step_id"],
        action=row["action"],
        attempt=row["attempt"],
        status=RunStatus(row["status"]),
        due_at=dt(row["due_at"]),
        claimed_by=row["claimed_by"],
        lease_until=opt_dt(row["lease_until"]),
        started_at=opt_dt(row["started_at"]),
        finished_at=opt_dt(row["finished_at"]),
        args=from_json(row["args"]),
        result=from_json(row["result"]),
        error=row["error"],
        resume=from_json(row["resume"]),
        wake_on_status=bool(row["wake_on_status"]),
    )


def claimed_run(row: Any, engine_id: str) -> StepRun:
    """The run as its claim left it; ``orphaned`` when it was running (its engine died)."""
    run = run_from(row)
    run.orphaned = run.status is RunStatus.RUNNING
    run.status, run.claimed_by = RunStatus.RUNNING, engine_id
    return run


def token_from(row: Any) -> TokenRecord:
    return TokenRecord(
        row["name"], row["role"], row["sha256"], dt(row["created_at"]), opt_dt(row["revoked_at"])
    )
