"""The store's side of the operator console: its signing secret and its sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from surge.store.records import ConsoleSession
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, opt_dt, opt_ts, ts

SECRET_NAME = "session"


class ConsoleStore:
    db: Database

    async def console_secret(self, candidate: str, at: datetime) -> str:
        def work(db: Connection) -> str:
            db.execute(
                "INSERT INTO console_keys (name, secret, created_at) VALUES (?,?,?)"
                " ON CONFLICT (name) DO NOTHING",
                (SECRET_NAME, candidate, ts(at)),
            )
            row = db.execute(
                "SELECT secret FROM console_keys WHERE name = ?", (SECRET_NAME,)
            ).fetchone()
            return str(row["secret"])

        return await self.db.write(work)

    async def add_console_session(self, session: ConsoleSession) -> None:
        values = (
            session.key,
            session.token_sha256,
            session.name,
            session.role,
            session.address,
            ts(session.created_at),
            ts(session.expires_at),
            opt_ts(session.ended_at),
        )

        def work(db: Connection) -> None:
            db.execute(
                "INSERT INTO console_sessions (session_sha256, token_sha256, name, role,"
                " address, created_at, expires_at, ended_at) VALUES (?,?,?,?,?,?,?,?)",
                values,
            )

        await self.db.write(work)

    async def console_session(self, key: str) -> ConsoleSession | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM console_sessions WHERE session_sha256 = ?", (key,)
            ).fetchone()
        )
        return _session(row) if row else None

    async def end_console_session(self, key: str, at: datetime) -> bool:
        def work(db: Connection) -> bool:
            cursor = db.execute(
                "UPDATE console_sessions SET ended_at = ?"
                " WHERE session_sha256 = ? AND ended_at IS NULL AND expires_at > ?",
                (ts(at), key, ts(at)),
            )
            return bool(cursor.rowcount)

        return await self.db.write(work)

    async def purge_console_sessions(self, before: datetime) -> int:
        def work(db: Connection) -> int:
            cursor = db.execute("DELETE FROM console_sessions WHERE expires_at < ?", (ts(before),))
            return int(cursor.rowcount)

        return await self.db.write(work)


def _session(row: Any) -> ConsoleSession:
    return ConsoleSession(
        key=row["session_sha256"],
        token_sha256=row["token_sha256"],
        name=row["name"],
        role=row["role"],
        created_at=dt(row["created_at"]),
        expires_at=dt(row["expires_at"]),
        address=row["address"],
        ended_at=opt_dt(row["ended_at"]),
    )
