"""Response scripts in the store: approvals and each incident's active script."""

from __future__ import annotations

from surge.store.records import ActiveScript, Approval
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, from_json, to_json, ts


class ScriptStore:
    db: Database

    async def add_approval(self, approval: Approval) -> Approval:
        def work(db: Connection) -> Approval:
            cursor = db.execute(
                "INSERT INTO script_approvals (script_id, sha256, approved_by, approved_at, note)"
                " VALUES (?,?,?,?,?) RETURNING id",
                (
                    approval.script_id,
                    approval.sha256,
                    approval.approved_by,
                    ts(approval.approved_at),
                    approval.note,
                ),
            )
            return Approval(
                approval.script_id,
                approval.sha256,
                approval.approved_by,
                approval.approved_at,
                approval.note,
                int(cursor.fetchone()["id"]),
            )

        return await self.db.write(work)

    async def approvals(self, script_id: str | None = None) -> list[Approval]:
        query, values = "SELECT * FROM script_approvals", tuple[str, ...]()
        if script_id is not None:
            query, values = query + " WHERE script_id = ?", (script_id,)
        rows = await self.db.run(lambda db: db.execute(query + " ORDER BY id", values).fetchall())
        return [
            Approval(
                row["script_id"],
                row["sha256"],
                row["approved_by"],
                dt(row["approved_at"]),
                row["note"],
                row["id"],
            )
            for row in rows
        ]

    async def set_active_script(self, active: ActiveScript) -> None:
        await self.db.write(
            lambda db: db.execute(
                "INSERT INTO incident_scripts (incident_id, script_id, variables, activated_by,"
                " activated_at) VALUES (?,?,?,?,?) ON CONFLICT (incident_id) DO UPDATE SET"
                " script_id = excluded.script_id, variables = excluded.variables,"
                " activated_by = excluded.activated_by, activated_at = excluded.activated_at",
                (
                    active.incident_id,
                    active.script_id,
                    to_json(active.variables),
                    active.activated_by,
                    ts(active.activated_at),
                ),
            )
        )

    async def active_script(self, incident_id: int) -> ActiveScript | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM incident_scripts WHERE incident_id = ?", (incident_id,)
            ).fetchone()
        )
        if row is None:
            return None
        return ActiveScript(
            row["incident_id"],
            row["script_id"],
            from_json(row["variables"]),
            row["activated_by"],
            dt(row["activated_at"]),
        )
