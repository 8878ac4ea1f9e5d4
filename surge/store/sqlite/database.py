"""The SQLite file itself: connection, pragmas, migrations, and where transactions run.

Each transaction runs as one call on a single worker thread, so blocking SQLite calls never
stall the event loop and two transactions never interleave. (aiosqlite hops threads once
per statement; a whole transaction per hop is atomic without extra locks, and cheaper.)
Write transactions use ``BEGIN IMMEDIATE`` so several processes on one file (the server
and the CLI) queue on the write lock instead of failing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from surge.store.base import StoreError

T = TypeVar("T")
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


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


class Database:
    def __init__(self, url: str) -> None:
        self.path, options = sqlite_path(url)
        self.synchronous = options.get("synchronous", "normal").upper()
        if self.synchronous not in SYNCHRONOUS:
            raise StoreError(f"{url}: synchronous must be off, normal, full or extra")
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` on the store's thread; for reads."""
        if self._executor is None or self._db is None:
            raise StoreError("the store is not open")
        db = self._db
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, db)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` in one write transaction, rolled back if it raises."""

        def transaction(db: sqlite3.Connection) -> T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return await self.run(transaction)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="surge-sqlite")
        loop = asyncio.get_running_loop()
        try:
            self._db = await loop.run_in_executor(self._executor, self._connect)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open {self.path}: {error}") from None
        await self.write(self._migrate)

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

    def _migrate(self, db: sqlite3.Connection) -> None:
        # a script's version is the number its name starts with (0007_audit.sql is 7), not
        # its place in the list: numbers are reserved per branch, so a build may skip some
        scripts = sorted(
            (int(entry.name.split("_", 1)[0]), entry.read_text("utf-8"))
            for entry in resources.files("surge.store").joinpath("migrations/sqlite").iterdir()
            if entry.name.endswith(".sql")
        )
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
        known = scripts[-1][0] if scripts else 0
        if current > known:
            raise StoreError(
                f"{self.path} has schema {current}, newer than this surge knows "
                f"({known}): upgrade surge"
            )
        applied = {row[0] for row in db.execute("SELECT version FROM schema_version")}
        for number, script in scripts:
            if number in applied:
                continue
            for statement in _statements(script):
                db.execute(statement)
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))

    async def schema_version(self) -> int:
        row = await self.run(
            lambda db: db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        )
        return int(row[0] or 0)


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]
