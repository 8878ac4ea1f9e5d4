"""What the shared transaction code may use of a database connection, on either backend.

A transaction is one function ``work(conn)`` that calls only ``conn.execute(sql, params)``
and ``conn.executemany(sql, rows)`` and reads what they return with ``fetchone()``,
``fetchall()`` and ``rowcount``. The SQL is written once, portably: ``?`` placeholders,
columns read by name, ``RETURNING`` for new ids, ``ON CONFLICT`` for upserts. Each backend
wraps its driver's connection in an adapter that satisfies ``Connection``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from surge.store.sql.migrations import Migration, current_version

T = TypeVar("T")


class IntegrityError(Exception):
    """A constraint (unique key, foreign key, not null) refused the statement; each adapter
    turns its driver's own exception into this one."""


class Cursor(Protocol):
    """What ``execute`` returns: rows (read by column name), and how many were changed."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor: ...


Work = Callable[[Connection], T]


class Database(ABC):
    """Where transactions run. ``run`` is for reads, ``write`` for one write transaction
    (rolled back if ``work`` raises); both run ``work`` off the event loop."""

    url: str
    dialect: str  # "sqlite" or "postgresql": the folder of its migrations

    @abstractmethod
    async def run(self, work: Work[T]) -> T: ...

    @abstractmethod
    async def write(self, work: Work[T], *, queue: str | None = None) -> T:
        """``queue`` names a hot spot: writes with the same name run one after another
        rather than racing (on PostgreSQL, where they would abort each other and retry;
        SQLite runs every write one at a time anyway)."""

    @abstractmethod
    async def open(self, *, migrate: bool = True) -> None:
        """Connect, and with ``migrate`` bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def migrate(self, *, dry_run: bool = False) -> list[Migration]:
        """Apply the migrations this database lacks, in one transaction; returns them
        (with ``dry_run``, only says which they are)."""

    @abstractmethod
    async def tables(self) -> list[Table]:
        """Every table of surge's schema, each after the tables it refers to."""

    async def schema_version(self) -> int:
        return await self.run(current_version)

    @abstractmethod
    async def restart_ids(self, table: Table) -> None:
        """After rows were copied in with their ids: make new ids follow the largest
        (SQLite's AUTOINCREMENT does so by itself)."""


@dataclass(frozen=True)
class Table:
    """A table as ``surge db copy`` sees it."""

    name: str
    columns: tuple[str, ...]  # in their order in the table
    key: tuple[str, ...]  # the primary key (all columns when there is none): rows' order
    real: frozenset[str] = frozenset()  # columns of REAL / DOUBLE PRECISION values
    identity: str | None = None  # a generated id column, whose counter follows a copy


def in_dependency_order(tables: dict[str, Table], refers: dict[str, set[str]]) -> list[Table]:
    """Each table after those it refers to (``refers``: name -> the tables it names)."""
    ordered: list[Table] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in tables:
            return
        done.add(name)
        for parent in sorted(refers.get(name, ())):
            visit(parent)
        ordered.append(tables[name])

    for name in sorted(tables):
        visit(name)
    return ordered
