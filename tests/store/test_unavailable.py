"""A store that cannot be used right now says so with one exception on every backend,
``StoreUnavailable``, which the API answers with 503 and the CLI explains (the full disk of
a real server is tests/reliability/test_disk.py; an unreachable PostgreSQL is in
test_postgresql.py)."""

from __future__ import annotations

import pytest
from store.conftest import NOW

from surge.store import StoreError, StoreUnavailable, open_store
from surge.store.base import Store
from surge.store.records import TokenRecord
from surge.store.sql.connection import Connection
from surge.store.sql.store import SqlStore

# what makes one transaction's writes refused, as a read-only file or database would
READ_ONLY = {"sqlite": "PRAGMA query_only = ON", "postgresql": "SET TRANSACTION READ ONLY"}


async def test_a_write_the_store_refuses_is_unavailable_and_changes_nothing(store: Store) -> None:
    assert isinstance(store, SqlStore)
    dialect = store.db.dialect

    def refused(db: Connection) -> None:
        db.execute("INSERT INTO tokens (name, role, sha256, created_at) VALUES ('a', 'b', 'c', 0)")
        db.execute(READ_ONLY[dialect])
        db.execute("INSERT INTO tokens (name, role, sha256, created_at) VALUES ('d', 'e', 'f', 0)")

    with pytest.raises(StoreUnavailable, match=r"readonly|read-only") as raised:
        await store.db.write(refused)
    assert isinstance(raised.value, StoreError)  # what callers that know no better catch
    if dialect == "sqlite":  # a pragma outlives the transaction; PostgreSQL's does not
        await store.db.run(lambda db: db.execute("PRAGMA query_only = OFF"))
    assert await store.list_tokens() == []  # the first insert was rolled back with it
    await store.add_token(TokenRecord("ops", "responder", "ab" * 32, NOW))  # usable again
    assert [token.name for token in await store.list_tokens()] == ["ops"]


async def test_a_bug_in_the_sql_is_not_unavailable(store: Store) -> None:
    assert isinstance(store, SqlStore)
    with pytest.raises(Exception) as raised:
        await store.db.run(lambda db: db.execute("SELECT nothing FROM nowhere"))
    assert not isinstance(raised.value, StoreUnavailable)


async def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "surge.db").mkdir()  # a folder where the file should be: it cannot be opened
    store = open_store(f"sqlite:///{folder / 'surge.db'}")
    with pytest.raises(StoreUnavailable, match="unable to open database file"):
        await store.open()
    await store.close()
