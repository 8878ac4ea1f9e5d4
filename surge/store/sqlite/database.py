"""The SQLite file itself: connection, pragmas, migrations, and where transactions run.

Transactions run on a single thread of their own (``surge.store.sqlite.worker``), so
blocking SQLite calls never stall the event loop and two transactions never interleave;
writes that queue up meanwhile commit together. (aiosqlite hops threads once per
statement; a whole transaction per hop is atomic without extra locks, and cheaper.)
Write transactions use ``BEGIN IMMEDIATE`` so several processes on one file (the server
and the CLI) queue on the write lock instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from surge.store.base import StoreError, StoreUnavailable
from surge.store.sql.connection import (
    Cursor,
    Database,
    IntegrityError,
    Table,
    Work,
    in_dependency_order,
)
from surge.store.sql.migrations import Migration, apply_pending
from surge.store.sqlite.worker import TransactionThread

T = TypeVar("T")
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
# SQLite's primary result codes for a file that cannot be used right now, as opposed to a
# bug in the SQL (SQLITE_ERROR): full, read-only, I/O errors, cannot open, still locked
# after busy_timeout, no permission
UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_PERM,
    }
)


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


class SqliteConnection:
    """The shared code's ``Connection`` over sqlite3: its integrity errors become ours."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.raw = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.raw.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        try:
            return self.raw.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path, options = sqlite_path(url)
        self.synchronous = options.get("synchronous", "normal").upper()
        if self.synchronous not in SYNCHRONOUS:
            raise StoreError(f"{url}: synchronous must be off, normal, full or extra")
        self._thread: TransactionThread | None = None

    async def run(self, work: Work[T]) -> T:
        """``work(connection)`` on the store's thread; for reads."""
        return await self._on_thread(work, writes=False)

    async def write(self, work: Work[T], *, queue: str | None = None) -> T:
        """``work(connection)`` in a write transaction, rolled back if it raises; writes
        queued meanwhile share one commit (``surge.store.sqlite.worker``). ``queue``
        changes nothing here: SQLite runs one write at a time anyway."""
        return await self._on_thread(work, writes=True)

    async def _on_thread(self, call: Callable[[SqliteConnection], T], *, writes: bool) -> T:
        if self._thread is None:
            raise StoreError("the store is not open")
        try:
            return await self._thread.submit(call, writes=writes)
        except sqlite3.OperationalError as error:
            if not self._unavailable(error):
                raise
            raise StoreUnavailable(self._why(error)) from error

    async def open(self, *, migrate: bool = True) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        thread = TransactionThread(asyncio.get_running_loop())
        try:
            await thread.start(lambda: SqliteConnection(self._connect()))
        except sqlite3.Error as error:
            await asyncio.to_thread(thread.stop)
            kind = StoreUnavailable if self._unavailable(error) else StoreError
            raise kind(f"cannot open {self.path}: {self._why(error)}") from None
        self._thread = thread
        if migrate:
            await self.migrate()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self.synchronous}")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @staticmethod
    def _unavailable(error: sqlite3.Error) -> bool:
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in UNAVAILABLE

    def _why(self, error: sqlite3.Error) -> str:
        """SQLite's words, and the likely cause it does not name."""
        folder = self.path.parent
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in (
            sqlite3.SQLITE_READONLY,
            sqlite3.SQLITE_CANTOPEN,
        ) and not os.access(folder, os.W_OK):
            return f"{error} (the folder {folder} is not writable)"
        return str(error)

    async def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with contextlib.suppress(sqlite3.Error):
            await thread.submit(lambda db: db.raw.close(), writes=False)
        await asyncio.to_thread(thread.stop)

    async def migrate(self, *, dry_run: bool = False) -> list[Migration]:
        return await self.write(
            lambda db: apply_pending(db, self.dialect, str(self.path), _script, dry_run=dry_run)
        )

    async def tables(self) -> list[Table]:
        return await self.run(_tables)

    async def restart_ids(self, table: Table) -> None:
        """Nothing to do: AUTOINCREMENT continues after the largest id inserted."""


def _script(db: Any, script: str) -> None:
    """sqlite3 runs one statement per call (``executescript`` would commit on its own)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute(statement.strip())


def _tables(db: Any) -> list[Table]:
    found = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'schema_version' ORDER BY name"
    ).fetchall()
    tables, refers = {}, {}
    for name, sql in ((row["name"], row["sql"]) for row in found):
        info = db.execute(f"PRAGMA table_info({name})").fetchall()
        key = sorted((row for row in info if row["pk"]), key=lambda row: row["pk"])
        generated = len(key) == 1 and "AUTOINCREMENT" in sql.upper()
        identity = key[0]["name"] if generated else None
        tables[name] = Table(
            name,
            tuple(row["name"] for row in info),
            tuple(row["name"] for row in key),
            frozenset(row["name"] for row in info if row["type"] == "REAL"),
            identity,
        )
        refers[name] = {row["table"] for row in db.execute(f"PRAGMA foreign_key_list({name})")}
    return in_dependency_order(tables, refers)
