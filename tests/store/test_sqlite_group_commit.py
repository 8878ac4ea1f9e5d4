"""Group commit on SQLite: writes queued together share one transaction, yet each keeps
its own outcome, and nobody hears of a write before it is on disk."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from surge.store.sql.connection import IntegrityError
from surge.store.sqlite.database import SqliteDatabase


@pytest.fixture
async def db(tmp_path):
    database = SqliteDatabase(f"sqlite:///{tmp_path / 'group.db'}")
    await database.open(migrate=False)
    await database.write(lambda c: c.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    yield database
    await database.close()


def _insert(n: int):
    return lambda c: c.execute("INSERT INTO t (n) VALUES (?)", (n,)).rowcount


def _on_disk(db: SqliteDatabase) -> list[int]:
    """What another connection (another process, after a crash) sees."""
    other = sqlite3.connect(db.path)
    try:
        return [row[0] for row in other.execute("SELECT n FROM t ORDER BY n")]
    finally:
        other.close()


def _hold(db: SqliteDatabase) -> tuple[asyncio.Future[int], asyncio.Event]:
    """Keep the store's thread busy until the event is set, so that what is queued
    meanwhile makes one batch."""
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def wait(c):
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=5)
        return c.execute("INSERT INTO t (n) VALUES (1)").rowcount

    return asyncio.ensure_future(db.write(wait)), release


def _insert_then_fail(c):
    c.execute("INSERT INTO t (n) VALUES (50)")
    raise ValueError("changed its mind")


async def test_a_failing_write_is_rolled_back_alone(db):
    held, release = _hold(db)
    await asyncio.sleep(0.05)
    # in one batch: a duplicate key, and a write that inserts and then raises
    works = [_insert(2), _insert(2), _insert_then_fail, _insert(3)]
    batch = [asyncio.ensure_future(db.write(work)) for work in works]
    release.set()
    await held
    outcomes = await asyncio.gather(*batch, return_exceptions=True)
    assert outcomes[0] == 1 and outcomes[3] == 1
    assert isinstance(outcomes[1], IntegrityError)
    assert isinstance(outcomes[2], ValueError)
    assert _on_disk(db) == [1, 2, 3]


async def test_an_answer_comes_only_after_the_commit(db):
    async def write_then_look(n: int) -> list[int]:
        await db.write(_insert(n))
        return _on_disk(db)

    seen = await asyncio.gather(*(write_then_look(n) for n in range(20)))
    for n, on_disk in enumerate(seen):
        assert n in on_disk


async def test_reads_in_a_batch_see_the_writes_queued_before_them(db):
    count = lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]  # noqa: E731
    before, _, _, after = await asyncio.gather(
        db.run(count), db.write(_insert(1)), db.write(_insert(2)), db.run(count)
    )
    assert (before, after) == (0, 2)


async def test_a_failed_commit_fails_every_write_of_the_batch(db):
    # a deferred foreign key is checked at COMMIT: the whole batch's commit fails
    await db.write(
        lambda c: c.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, n INTEGER"
            " REFERENCES t (n) DEFERRABLE INITIALLY DEFERRED)"
        )
    )
    held, release = _hold(db)
    await asyncio.sleep(0.05)  # the thread is inside the held write
    orphan = lambda c: c.execute("INSERT INTO child (n) VALUES (99)")  # noqa: E731
    batch = [asyncio.ensure_future(db.write(w)) for w in (_insert(2), orphan, _insert(3))]
    release.set()
    assert await held == 1
    outcomes = await asyncio.gather(*batch, return_exceptions=True)
    assert all(isinstance(outcome, sqlite3.Error | IntegrityError) for outcome in outcomes)
    assert _on_disk(db) == [1]
    assert await db.write(_insert(4)) == 1  # the next batch is a fresh transaction
    assert _on_disk(db) == [1, 4]


async def test_a_write_whose_caller_gave_up_before_it_ran_does_not_run(db):
    held, release = _hold(db)
    await asyncio.sleep(0.05)
    abandoned = asyncio.ensure_future(db.write(_insert(2)))
    await asyncio.sleep(0)
    abandoned.cancel()
    release.set()
    assert await held == 1
    assert await db.write(_insert(3)) == 1
    assert _on_disk(db) == [1, 3]
