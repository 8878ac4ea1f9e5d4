"""Schema migrations: numbered SQL files, one folder per backend, with the same numbers.

``surge/store/migrations/sqlite/0004_scripts.sql`` and
``surge/store/migrations/postgresql/0004_scripts.sql`` are the two dialects of one schema
change; tests/store/test_migrations.py fails when a number exists in one folder only, or
when the tables they make differ in their columns. The ``schema_version`` table keeps one
row per applied number.

A migration's version is the number its file name starts with (``0007_audit.sql`` is 7),
not its place in the folder: numbers are reserved per part of surge, so a build may lack
some (5 is kept for the notices while 6 to 8 exist). A store that lacks a number the
build has gets it, even below its current version; the schema's version is the highest
number applied.
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
    """The dialect's migrations in the order of their numbers (which may have gaps)."""
    folder = resources.files("surge.store").joinpath(f"migrations/{dialect}")
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match is None:
            continue
        migration = Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8"))
        if migration.number in found:
            raise StoreError(
                f"migrations/{dialect}: {found[migration.number].file} and {migration.file}"
                " have the same number"
            )
        found[migration.number] = migration
    return [found[number] for number in sorted(found)]


def latest(dialect: str) -> int:
    """The schema version a store of this dialect has once migrated."""
    known = available(dialect)
    return known[-1].number if known else 0


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
    newest = latest(dialect)
    if current > newest:
        raise StoreError(
            f"{where} has schema {current}, newer than this surge knows ({newest}): upgrade surge"
        )
    applied = {
        row["version"] for row in db.execute("SELECT version FROM schema_version").fetchall()
    }
    pending = [migration for migration in known if migration.number not in applied]
    if dry_run:
        return pending
    for migration in pending:
        run_script(db, migration.sql)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.number,))
    return pending
