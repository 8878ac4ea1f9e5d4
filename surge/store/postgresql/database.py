"""PostgreSQL through psycopg 3: a connection pool, worker threads, and an adapter that lets
the shared transaction functions (written for ``?`` placeholders) run unchanged.

Each transaction is one sync ``work(conn)`` call on a worker thread holding a pooled
connection, exactly as on SQLite, so every query exists once. Writes run SERIALIZABLE and
are retried when PostgreSQL reports a serialization failure: the shared code was written
for SQLite, whose single write lock makes every transaction serial, and SERIALIZABLE gives
the same guarantee across replicas without one global lock. Reads run statement by
statement outside a transaction, as they do on SQLite. Claiming step runs is the one write
that runs READ COMMITTED, because it locks its rows itself (``FOR UPDATE SKIP LOCKED``) and
must not abort when replicas claim at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from surge.store import display_url
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

T = TypeVar("T")
log = logging.getLogger(__name__)
SERIALIZABLE = "SERIALIZABLE"
READ_COMMITTED = "READ COMMITTED"
RETRIES = 60  # serialization failures in a row before a write gives up
MIGRATION_LOCK = (0x5375, 0)  # advisory lock key: one replica migrates at a time
QUEUE_LOCKS = 0x5378  # first key of the advisory locks that queue hot writes
OPTIONS = {"pool_size": 10, "pool_timeout": 5.0}  # ours, taken off the URL before libpq


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s``; a literal ``%`` doubled (not inside quotes,
    where a ``?`` is just a character)."""
    out, quoted = [], False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def _values(params: Sequence[Any]) -> list[Any]:
    # booleans are INTEGER 0/1 in both schemas; psycopg would send a boolean
    return [int(value) if isinstance(value, bool) else value for value in params]


class PgConnection:
    """The shared code's ``Connection`` over a psycopg connection (rows as dicts)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.raw.execute(translate(sql), _values(params))
        except errors.IntegrityError as error:
            raise IntegrityError(str(error)) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        values = [_values(row) for row in rows]
        if len(values) == 1:  # the usual case: one plain round trip, not a pipeline
            return self.execute(sql, values[0])
        cursor = self.raw.cursor()
        if not values:
            return cursor
        try:
            cursor.executemany(translate(sql), values)
        except errors.IntegrityError as error:
            raise IntegrityError(str(error)) from error
        return cursor


def split_url(url: str) -> tuple[str, dict[str, float]]:
    """The libpq URL (with a 5 s connect timeout unless it sets one) and surge's options."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StoreError(f"not a postgresql URL: {display_url(url)}")
    query, options = [], dict(OPTIONS)
    for key, value in parse_qsl(parts.query):
        if key in OPTIONS:
            try:
                options[key] = float(value)
            except ValueError:
                raise StoreError(f"{display_url(url)}: {key} must be a number") from None
        else:
            query.append((key, value))
    if not any(key == "connect_timeout" for key, _ in query):
        query.append(("connect_timeout", "5"))
    return urlunsplit(parts._replace(query=urlencode(query))), options


# what the server says when it works but will not take this write now
REFUSALS: dict[type[psycopg.Error], str] = {
    errors.DiskFull: "the database's disk is full",
    errors.ReadOnlySqlTransaction: "the database is read-only",
}
UNAVAILABLE = (psycopg.OperationalError, errors.ReadOnlySqlTransaction, PoolTimeout)


def unreachable(error: BaseException) -> str:
    """What to say when the database cannot be used, without the URL's secrets."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    for kind, what in REFUSALS.items():
        if isinstance(error, kind):
            return f"{what}: {text}"
    return f"the database is unreachable: {text}"


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.conninfo, options = split_url(url)
        self.pool_size = max(int(options["pool_size"]), 1)
        self.pool_timeout = options["pool_timeout"]
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def open(self, *, migrate: bool = True) -> None:
        self._pool = ConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=self.pool_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            timeout=self.pool_timeout,
            open=False,
            name="surge",
        )
        self._executor = ThreadPoolExecutor(self.pool_size, thread_name_prefix="surge-pg")
        pool = self._pool
        loop = asyncio.get_running_loop()

        def connect() -> None:
            psycopg.connect(self.conninfo).close()  # says at once why, where the pool waits
            pool.open(wait=True, timeout=10)

        try:
            await loop.run_in_executor(self._executor, connect)
        except (psycopg.Error, PoolTimeout) as error:
            await self.close()
            kind = StoreUnavailable if isinstance(error, UNAVAILABLE) else StoreError
            raise kind(f"cannot open {display_url(self.url)}: {unreachable(error)}") from None
        if migrate:
            await self.migrate()

    async def close(self) -> None:
        pool, executor = self._pool, self._executor
        self._pool = self._executor = None
        if pool is not None and executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, pool.close)
        if executor is not None:
            executor.shutdown(wait=True)

    async def run(self, work: Work[T]) -> T:
        """``work`` outside a transaction: each statement sees what was committed when it
        began, as on SQLite, without the round trips of BEGIN and COMMIT."""
        return await self._on_thread(work, None)

    async def write(
        self, work: Work[T], *, queue: str | None = None, isolation: str = SERIALIZABLE
    ) -> T:
        """``work`` in one write transaction, retried on serialization failures.

        With ``queue``, the connection first takes a session advisory lock of that name,
        and only then begins: the snapshot is taken after the writes queued before it
        committed, so they do not abort each other (e.g. admissions of one playbook, which
        all count its open incidents)."""
        return await self._on_thread(work, isolation, queue)

    async def _on_thread(self, work: Work[T], isolation: str | None, queue: str | None = None) -> T:
        if self._pool is None or self._executor is None:
            raise StoreError("the store is not open")
        call = functools.partial(self._transaction, self._pool, work, isolation, queue)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _transaction(
        self,
        pool: ConnectionPool[psycopg.Connection[Any]],
        work: Work[T],
        isolation: str | None,
        queue: str | None,
    ) -> T:
        for attempt in range(1, RETRIES + 1):
            try:
                with pool.connection() as raw, _queued(raw, queue):
                    return _attempt(raw, work, isolation)
            except (errors.SerializationFailure, errors.DeadlockDetected):
                if attempt == RETRIES:
                    raise StoreUnavailable(
                        f"a transaction met {RETRIES} conflicting ones in a row; try again"
                    ) from None
                time.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))
            except UNAVAILABLE as error:  # lost, full, read-only, no free connection
                raise StoreUnavailable(unreachable(error)) from None
        raise AssertionError("unreachable")

    async def migrate(self, *, dry_run: bool = False) -> list[Migration]:
        def work(db: Any) -> list[Migration]:
            db.execute("SELECT pg_advisory_xact_lock(?, ?)", MIGRATION_LOCK)
            return apply_pending(db, self.dialect, display_url(self.url), _script, dry_run=dry_run)

        # READ COMMITTED: after the lock, each statement sees what another migrator committed
        return await self.write(work, isolation=READ_COMMITTED)

    async def tables(self) -> list[Table]:
        return await self.run(_tables)

    async def restart_ids(self, table: Table) -> None:
        if table.identity is None:
            return
        name, column = table.name, table.identity
        await self.write(
            lambda db: db.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'),"
                f" COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)"
            )
        )


@contextlib.contextmanager
def _queued(raw: psycopg.Connection[Any], queue: str | None) -> Iterator[None]:
    if queue is None:
        yield
        return
    raw.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (QUEUE_LOCKS, queue))
    try:
        yield
    finally:
        if not raw.closed:
            with contextlib.suppress(psycopg.Error):
                raw.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (QUEUE_LOCKS, queue))


def _attempt(raw: psycopg.Connection[Any], work: Work[T], isolation: str | None) -> T:
    if isolation is None:  # autocommit
        return work(PgConnection(raw))
    raw.execute(f"BEGIN ISOLATION LEVEL {isolation}")
    try:
        result = work(PgConnection(raw))
        raw.execute("COMMIT")
    except BaseException:
        if not raw.closed:
            with contextlib.suppress(psycopg.Error):
                raw.execute("ROLLBACK")
        raise
    return result


def _script(db: Any, script: str) -> None:
    """A whole file at once: PostgreSQL takes several statements (and function bodies with
    semicolons in them) in one simple query."""
    db.raw.execute(script)


def _tables(db: Any) -> list[Table]:
    schema = "table_schema = current_schema() AND table_name != 'schema_version'"
    columns: dict[str, list[dict[str, Any]]] = {}
    for row in db.execute(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns"
        f" WHERE {schema} ORDER BY table_name, ordinal_position"
    ).fetchall():
        columns.setdefault(row["table_name"], []).append(row)
    keys: dict[str, list[str]] = {}
    for row in db.execute(
        "SELECT c.table_name, k.column_name FROM information_schema.table_constraints c"
        " JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)"
        " WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema()"
        " ORDER BY k.ordinal_position"
    ).fetchall():
        keys.setdefault(row["table_name"], []).append(row["column_name"])
    refers: dict[str, set[str]] = {}
    for row in db.execute(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
        " FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    ).fetchall():
        refers.setdefault(row["child"], set()).add(row["parent"])
    tables = {
        name: Table(
            name,
            tuple(column["column_name"] for column in found),
            tuple(keys.get(name, ())),
            frozenset(c["column_name"] for c in found if c["data_type"] == "double precision"),
            next((c["column_name"] for c in found if c["is_identity"] == "YES"), None),
        )
        for name, found in columns.items()
    }
    return in_dependency_order(tables, refers)
