"""One dedicated connection per process, whose session-level advisory locks say who is alive
and who leads.

PostgreSQL releases a session's advisory locks the moment the session ends, so a replica
killed with ``kill -9`` (or cut off from the database) gives up its locks by itself:

- presence: each engine takes ``(PRESENCE, hashtext(engine id))`` while it runs. A step run
  still marked running by an engine whose row exists but whose presence lock is free is
  orphaned at once (``store.py``), without waiting for its lease to expire;
- leadership: ``(LEADER, hashtext(name))``, tried by every replica, held by one.

The server drops a vanished client's session after its TCP keepalives fail (set short
here), so even a network partition frees the locks within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from surge.store.base import StoreUnavailable
from surge.store.postgresql.database import unreachable

log = logging.getLogger(__name__)
PRESENCE = 0x5376  # first key of the advisory locks of live engines
LEADER = 0x5377  # first key of leadership locks
CHECK_TIMEOUT = 3.0  # seconds a lock query may take before the connection counts as lost
# the server drops the session of a client it cannot reach within about 6 s (its locks
# go with it); the client gives up on a server it cannot reach within about 11 s
SERVER_KEEPALIVES = (
    "-c tcp_keepalives_idle=3 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3"
)
CLIENT_KEEPALIVES = {"keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3"}

UNLOCK = "SELECT pg_advisory_unlock(%s, hashtext(%s))"
TRY_LOCK = "SELECT pg_try_advisory_lock(%s, hashtext(%s)) AS held"
HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = %s AND objid = hashtext(%s)::oid"
    " AND objsubid = 2) AS held"
)


class Session:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.problem: str | None = None
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._engines: set[str] = set()  # presence locks to hold (again after a reconnect)
        self._present: set[str] = set()  # presence locks this session holds
        self._leading: set[str] = set()
        self._lock = asyncio.Lock()

    async def present(self, engine_id: str) -> None:
        """Hold the engine's presence lock (taken again after each reconnect)."""
        async with self._lock:
            try:
                fresh = self._conn is None or self._conn.closed or self._conn.broken
                self._engines.add(engine_id)
                conn = await self._connection()  # a new session takes every presence lock
                if not fresh and engine_id not in self._present:
                    await self._query(conn, TRY_LOCK, engine_id)
                self._present.add(engine_id)
            except (psycopg.Error, OSError, TimeoutError) as error:
                await self._lost(error)
                raise StoreUnavailable(unreachable(error)) from None

    async def absent(self, engine_id: str) -> None:
        async with self._lock:
            self._engines.discard(engine_id)
            if self._conn is not None and not self._conn.closed:
                with contextlib.suppress(psycopg.Error, TimeoutError):
                    await self._query(self._conn, UNLOCK, engine_id)
            self._present.discard(engine_id)

    async def lead(self, name: str) -> bool:
        """Take the leadership lock if it is free, or confirm that this session holds it."""
        async with self._lock:
            try:
                conn = await self._connection()
                query = HELD if name in self._leading else TRY_LOCK
                row = await self._query(conn, query, name, LEADER)
            except (psycopg.Error, OSError, TimeoutError) as error:
                await self._lost(error)
                return False
            self.problem = None
            held = bool(row and row["held"])
            (self._leading.add if held else self._leading.discard)(name)
            return held

    async def resign(self, name: str) -> None:
        async with self._lock:
            if name in self._leading and self._conn is not None and not self._conn.closed:
                with contextlib.suppress(psycopg.Error, TimeoutError):
                    await self._query(self._conn, UNLOCK, name, LEADER)
            self._leading.discard(name)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
            self._conn = None
            self._leading.clear()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._leading.clear()  # a new session holds nothing yet
        self._present.clear()
        conn = await psycopg.AsyncConnection.connect(
            dedicated(self.conninfo, "surge-session"),
            autocommit=True,
            row_factory=psycopg.rows.dict_row,
        )
        self._conn = conn
        for engine_id in sorted(self._engines):
            await self._query(conn, TRY_LOCK, engine_id)
            self._present.add(engine_id)
        return conn

    async def _query(
        self, conn: psycopg.AsyncConnection[Any], sql: str, key: str, space: int = PRESENCE
    ) -> Any:
        cursor = await asyncio.wait_for(conn.execute(sql, (space, key)), CHECK_TIMEOUT)
        return await cursor.fetchone()

    async def _lost(self, error: BaseException) -> None:
        reason = unreachable(error)
        if self.problem != reason:
            log.warning("lost the database session: %s", reason)
        self.problem = reason
        self._leading.clear()
        self._present.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), CHECK_TIMEOUT)


def dedicated(conninfo: str, name: str) -> str:
    """The conninfo of a long-lived connection: keepalives both ways, the user's options kept."""
    params = conninfo_to_dict(conninfo)
    options = " ".join(str(part) for part in (params.get("options"), SERVER_KEEPALIVES) if part)
    return make_conninfo(conninfo, options=options, application_name=name, **CLIENT_KEEPALIVES)
