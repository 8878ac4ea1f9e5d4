"""Both backends get every schema change: the two migration folders hold the same numbered
files, and the tables they make have the same columns, keys and kinds of value.

A branch that adds ``migrations/sqlite/0009_x.sql`` and forgets its PostgreSQL twin (or a
column in it) fails here."""

from __future__ import annotations

from pathlib import Path

from surge.store import open_store
from surge.store.sql.migrations import available
from surge.store.sql.store import SqlStore

MIGRATIONS = Path(__file__).parents[2] / "surge" / "store" / "migrations"


def test_both_backends_have_the_same_numbered_migrations():
    sqlite = sorted(path.name for path in (MIGRATIONS / "sqlite").glob("*.sql"))
    postgresql = sorted(path.name for path in (MIGRATIONS / "postgresql").glob("*.sql"))
    missing = sorted(set(sqlite) ^ set(postgresql))
    assert not missing, (
        f"only in one of migrations/sqlite and migrations/postgresql: {missing}; "
        "write the other backend's twin (see docs/deployment.md, 'Adding a table')"
    )
    # numbers are reserved per part, so a gap (0005 for the notices) is allowed
    assert [m.file for m in available("sqlite")] == sqlite


async def test_the_schemas_have_the_same_tables_and_columns(tmp_path, postgres_url):
    schemas = {}
    for url in (f"sqlite:///{tmp_path}/surge.db", postgres_url):
        store = open_store(url)
        assert isinstance(store, SqlStore)
        await store.open()
        tables = await store.db.tables()
        schemas[store.db.dialect] = {
            table.name: (table.columns, table.key, sorted(table.real), table.identity)
            for table in tables
        }
        await store.close()
    sqlite, postgresql = schemas["sqlite"], schemas["postgresql"]
    assert sorted(sqlite) == sorted(postgresql)
    for name in sqlite:
        assert sqlite[name] == postgresql[name], f"table {name} differs between the backends"
