"""The store's side of the audit log: append and query, nothing else (it is append-only)."""

from __future__ import annotations

import dataclasses
from typing import Any

from surge.store.records import AuditEntry, AuditOutcome, AuditQuery
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, from_json, to_json, ts

_COLUMNS = "at, actor, role, origin, address, action, target, outcome, detail"


class AuditStore:
    db: Database

    async def add_audit(self, entry: AuditEntry) -> AuditEntry:
        values = (
            ts(entry.at),
            entry.actor,
            entry.role,
            entry.origin,
            entry.address,
            entry.action,
            entry.target,
            entry.outcome.value,
            to_json(entry.detail),
        )

        def work(db: Connection) -> int:
            row = db.execute(
                f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
                values,
            ).fetchone()
            return int(row["id"])

        return dataclasses.replace(entry, id=await self.db.write(work))

    async def audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        clauses, values = _where(query)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?"
        rows = await self.db.run(lambda db: db.execute(sql, (*values, query.limit)).fetchall())
        return [_entry(row) for row in rows]


def _where(query: AuditQuery) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    values: list[Any] = []
    for column, wanted in (
        ("actor", query.actor),
        ("target", query.target),
        ("address", query.address),
        ("outcome", query.outcome.value if query.outcome else None),
    ):
        if wanted is not None:
            clauses.append(f"{column} = ?")
            values.append(wanted)
    if query.action is not None and query.action.endswith("*"):
        clauses.append("action LIKE ? ESCAPE '\\'")
        values.append(_like_prefix(query.action[:-1]))
    elif query.action is not None:
        clauses.append("action = ?")
        values.append(query.action)
    if query.since is not None:
        clauses.append("at >= ?")
        values.append(ts(query.since))
    if query.until is not None:
        clauses.append("at < ?")
        values.append(ts(query.until))
    if query.before is not None:
        clauses.append("id < ?")
        values.append(query.before)
    return clauses, values


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern matching text that starts with ``prefix`` taken literally."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        at=dt(row["at"]),
        actor=row["actor"],
        role=row["role"],
        origin=row["origin"],
        action=row["action"],
        target=row["target"],
        outcome=AuditOutcome(row["outcome"]),
        detail=from_json(row["detail"]),
        address=row["address"],
        id=row["id"],
    )
