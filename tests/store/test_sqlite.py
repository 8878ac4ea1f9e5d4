"""What only the SQLite store does: file URLs, WAL, the schema recorded in the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store.test_store import SCHEMA

from surge.store import StoreError, open_store
from surge.store.sql.rows import OPEN_INCIDENT
from surge.store.sqlite import sqlite_path


@pytest.fixture
async def sqlite_store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path}/surge.db")
    await store.open()
    yield store
    await store.close()


def test_urls_are_relative_with_three_slashes_and_absolute_with_four():
    assert sqlite_path("sqlite:///var/surge.db")[0] == Path("var/surge.db")
    assert sqlite_path("sqlite:////srv/surge.db")[0] == Path("/srv/surge.db")
    assert sqlite_path("sqlite:///x.db?synchronous=full")[1] == {"synchronous": "full"}
    with pytest.raises(StoreError):
        sqlite_path("sqlite://")


async def test_the_file_is_in_wal_mode_with_the_schema_recorded(tmp_path, sqlite_store):
    with sqlite3.connect(tmp_path / "surge.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA
    assert await sqlite_store.schema_version() == SCHEMA


async def test_counting_a_playbooks_open_incidents_reads_only_those(tmp_path, sqlite_store):
    # the admission's max_open check: an index search, not a scan of every incident
    with sqlite3.connect(tmp_path / "surge.db") as db:
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM incidents WHERE playbook_id = ?"
            f" AND {OPEN_INCIDENT}",
            ("chat-down",),
        ).fetchall()
    assert any("incidents_playbook_status" in row[-1] for row in plan), plan


def test_an_unknown_url_is_refused_with_the_schemes_surge_knows():
    with pytest.raises(StoreError, match=r"sqlite:///PATH or postgresql://"):
        open_store("mysql://root:secret@localhost/surge")
    with pytest.raises(StoreError) as refused:
        open_store("mysql://root:secret@localhost/surge")
    assert "secret" not in str(refused.value)
