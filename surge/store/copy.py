"""Copying every row of one store into another (``surge db copy``), e.g. SQLite to PostgreSQL.

Both stores are brought to the same schema first. Rows go table by table, each table
after the ones it refers to, in batches read in key order (keyset pagination, so a big
table is never held in memory). Afterwards both sides are read again: each table's row
count and checksum must match, or the copy is reported as failed.

The checksum of a table is the sum (mod 2**256) of the SHA-256 of each row's canonical
JSON, so it does not depend on the order rows come back in (collations differ between
backends); REAL / DOUBLE PRECISION columns are compared as floats.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from surge.store.base import StoreError
from surge.store.sql.connection import Connection, Table
from surge.store.sql.store import SqlStore

BATCH = 1000
Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in all


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int  # in the source
    copied: int  # in the destination afterwards
    source_sum: str
    copied_sum: str

    @property
    def ok(self) -> bool:
        return self.rows == self.copied and self.source_sum == self.copied_sum


async def occupied(store: SqlStore) -> dict[str, int]:
    """The tables of ``store`` that hold rows, and how many."""
    counts = {table.name: await count(store, table) for table in await store.db.tables()}
    return {name: rows for name, rows in counts.items() if rows}


async def count(store: SqlStore, table: Table) -> int:
    row = await store.db.run(
        lambda db: db.execute(f"SELECT COUNT(*) AS n FROM {table.name}").fetchone()
    )
    return int(row["n"])


async def copy_store(
    source: SqlStore,
    target: SqlStore,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> list[TableCopy]:
    tables = await _same_schema(source, target)
    held = await occupied(target)
    if held and not overwrite:
        shown = ", ".join(f"{name}: {rows}" for name, rows in sorted(held.items()))
        raise StoreError(
            f"the destination is not empty ({shown}); pass --overwrite to replace what it holds"
        )
    if held:
        await target.db.write(lambda db: _empty(db, tables))
    for table in tables:
        total = await count(source, table)
        done = 0
        async for rows in _batches(source, table, batch):
            await target.db.write(functools.partial(_insert, table=table, rows=rows))
            done += len(rows)
            if progress is not None:
                progress(table.name, done, total)
        if progress is not None and total == 0:
            progress(table.name, 0, 0)
        await target.db.restart_ids(table)
    return [await _compare(source, target, table, batch) for table in tables]


async def _same_schema(source: SqlStore, target: SqlStore) -> list[Table]:
    versions = (await source.schema_version(), await target.schema_version())
    if versions[0] != versions[1]:
        raise StoreError(f"the stores have schemas {versions[0]} and {versions[1]}; migrate both")
    tables, theirs = await source.db.tables(), await target.db.tables()
    mine = {table.name: table.columns for table in tables}
    other = {table.name: table.columns for table in theirs}
    if mine != other:
        differ = sorted(
            name for name in mine.keys() | other.keys() if mine.get(name) != other.get(name)
        )
        raise StoreError(f"the stores' tables differ: {', '.join(differ)}")
    return tables


def _empty(db: Connection, tables: Sequence[Table]) -> None:
    for table in reversed(tables):
        db.execute(f"DELETE FROM {table.name}")


def _insert(db: Connection, *, table: Table, rows: list[tuple[Any, ...]]) -> None:
    marks = ",".join("?" * len(table.columns))
    columns = ", ".join(table.columns)
    db.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)


async def _batches(
    store: SqlStore, table: Table, size: int
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The table's rows, ``size`` at a time, in key order."""
    key = table.key or table.columns
    columns = ", ".join(table.columns)
    order = ", ".join(key)
    after: tuple[Any, ...] | None = None
    while True:
        where = f"WHERE ({order}) > ({','.join('?' * len(key))})" if after is not None else ""
        query = f"SELECT {columns} FROM {table.name} {where} ORDER BY {order} LIMIT ?"
        params = (*(after or ()), size)
        found = await store.db.run(functools.partial(_select, query=query, params=params))
        if not found:
            return
        rows = [tuple(row[column] for column in table.columns) for row in found]
        yield rows
        last = found[-1]
        after = tuple(last[column] for column in key)
        if len(found) < size:
            return


def _select(db: Connection, *, query: str, params: Sequence[Any]) -> list[Any]:
    return db.execute(query, params).fetchall()


async def _compare(source: SqlStore, target: SqlStore, table: Table, size: int) -> TableCopy:
    rows, mine = await checksum(source, table, size)
    copied, theirs = await checksum(target, table, size)
    return TableCopy(table.name, rows, copied, mine, theirs)


async def checksum(store: SqlStore, table: Table, size: int = BATCH) -> tuple[int, str]:
    """How many rows the table has, and their order-independent checksum (hex, 16 digits)."""
    total, rows = 0, 0
    async for batch in _batches(store, table, size):
        for row in batch:
            values = [
                float(value) if name in table.real and value is not None else value
                for name, value in zip(table.columns, row, strict=True)
            ]
            canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
            total += int.from_bytes(hashlib.sha256(canonical.encode()).digest(), "big")
        rows += len(batch)
    return rows, f"{total % 2**256:064x}"[:16]
