"""Schema migrations: numbered SQL files, one folder per backend, with the same numbers.

``surge/store/migrations/sqlite/0004_scripts.sql`` and
``surge/store/migrations/postgresql/0004_scripts.sql`` are the two dialects of one schema
change; tests/store/test_migrations.py fails when a number exists in one folder only, or
when the tables they make differ in their columns. The ``schema_version`` table keeps one
row per applied number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from surge.store.base import StoreError

if TYPE_CHECKING:
    from surge.store.sql.connection import Connection

_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


@dataclass(frozen=True)
class Migration:
    number: int
    name: str  # the file's name without number and suffix, e.g. "scripts"
    sql: str

    @property
    def file(self) -> str:
        return f"{self.number:04d}_{self.name}.sql"


def available(dialect: str) -> list[Migration]:
    """The dialect's migrations in order; their numbers must run 1, 2, 3… without gaps."""
    folder = resources.files("surge.store").joinpath(f"migrations/{dialect}")
    found = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match is None:
            continue
        found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.number)
    for expected, migration in enumerate(found, start=1):
        if migration.number != expected:
            raise StoreError(f"migrations/{dialect}: {migration.file} follows a gap at {expected}")
    return found


def current_version(db: Connection) -> int:
    row = db.execute("SELECT MAX(version) AS version FROM schema_version").fetchone()
    return int(row["version"] or 0) if row else 0


def apply_pending(
    db: Connection,
    dialect: str,
    where: str,
    run_script: Callable[[Connection, str], None],
    *,
    dry_run: bool = False,
) -> list[Migration]:
    """Inside a write transaction: apply (or with ``dry_run`` only list) what is missing.

    ``run_script`` executes one file's SQL the way its backend can (statement by statement
    on SQLite; the whole file at once on PostgreSQL, whose functions contain semicolons)."""
    known = available(dialect)
    db.execute(VERSION_TABLE)
    current = current_version(db)
    if current > len(known):
        raise StoreError(
            f"{where} has schema {current}, newer than this surge knows ({len(known)}): "
            "upgrade surge"
        )
    pending = known[current:]
    if dry_run:
        return pending
    for migration in pending:
        run_script(db, migration.sql)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.number,))
    return pending
