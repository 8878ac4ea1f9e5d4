"""The one thread that runs every SQLite transaction, committing queued writes together.

Writes that arrive while a transaction runs wait in a queue; the thread then runs them
all, in the order they came, in one ``BEGIN IMMEDIATE`` transaction with a savepoint each
(one that raises is rolled back alone) and one ``COMMIT``: group commit. Nobody hears of
a write before its ``COMMIT`` is done, so "recorded before the step runs" still holds.
Reads in the same batch run inside that transaction and are answered after it commits,
so the order of the queue is the order of effects, as with one transaction per call.
Each batch wakes the event loop once, not once per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
MAX_BATCH = 64  # calls per transaction: bounds the wait of the first in a busy queue


@dataclass
class Job(Generic[T]):
    work: Callable[[Any], T]
    writes: bool
    future: asyncio.Future[T]
    outcome: tuple[bool, Any] = field(default=(False, None))  # (ok, result or exception)


_STOP = object()


class TransactionThread:
    """Runs ``Job``s on a connection of its own thread; ``submit`` from the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._jobs: queue.SimpleQueue[Job[Any] | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="surge-sqlite", daemon=True)
        self._db: Any = None  # a SqliteConnection: works get it, control statements use .raw

    def start(self, connect: Callable[[], Any]) -> asyncio.Future[Any]:
        """Start the thread; the future is the connection ``connect`` made on it."""
        opened: asyncio.Future[Any] = self._loop.create_future()
        self._jobs.put(Job(lambda _db: connect(), False, opened))
        self._thread.start()
        return opened

    def submit(self, work: Callable[[Any], T], *, writes: bool) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self._loop.create_future()
        self._jobs.put(Job(work, writes, future))
        return future

    def stop(self) -> None:
        """Finish what is queued, then end the thread (blocks until it has)."""
        self._jobs.put(_STOP)
        self._thread.join()

    def _serve(self) -> None:
        first = self._jobs.get()
        assert isinstance(first, Job)
        self._run_alone(first)
        self._db = first.outcome[1] if first.outcome[0] else None
        self._settle([first])
        if self._db is None:
            return
        while True:
            batch, stop = self._next_batch()
            if batch:
                try:
                    self._run(batch)
                except BaseException as error:  # a failed ROLLBACK TO: the batch is lost
                    _fail(batch, error)
                    with contextlib.suppress(BaseException):
                        if self._db.raw.in_transaction:
                            self._db.raw.execute("ROLLBACK")
                self._settle(batch)
            if stop:
                return

    def _next_batch(self) -> tuple[list[Job[Any]], bool]:
        item = self._jobs.get()
        batch: list[Job[Any]] = []
        while item is not _STOP:
            assert isinstance(item, Job)
            if not item.future.cancelled():  # its caller gave up before it ran
                batch.append(item)
            if len(batch) >= MAX_BATCH:
                return batch, False
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _run(self, batch: list[Job[Any]]) -> None:
        if not any(job.writes for job in batch):
            for job in batch:
                self._run_alone(job)
            return
        raw = self._db.raw
        done: list[Job[Any]] = []
        for index, job in enumerate(batch):
            if not raw.in_transaction and not self._begin(batch[index:]):
                return
            self._run_in_savepoint(job)
            if raw.in_transaction:
                done.append(job)
            else:  # its error rolled the whole transaction back, earlier jobs' work too
                _fail(done, job.outcome[1])
                done = []
        if not raw.in_transaction:
            return
        try:
            raw.execute("COMMIT")
        except BaseException as error:  # a full disk, an I/O error
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            _fail(done, error)

    def _begin(self, jobs: list[Job[Any]]) -> bool:
        try:
            self._db.raw.execute("BEGIN IMMEDIATE")
        except BaseException as error:  # locked past busy_timeout, a full disk
            _fail(jobs, error)
            return False
        return True

    def _run_alone(self, job: Job[Any]) -> None:
        try:
            job.outcome = (True, job.work(self._db))
        except BaseException as error:
            job.outcome = (False, error)

    def _run_in_savepoint(self, job: Job[Any]) -> None:
        raw = self._db.raw
        raw.execute("SAVEPOINT job")
        self._run_alone(job)
        if not raw.in_transaction:
            return
        if not job.outcome[0]:
            raw.execute("ROLLBACK TO job")
        raw.execute("RELEASE job")

    def _settle(self, batch: list[Job[Any]]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            self._loop.call_soon_threadsafe(_answer, batch)


def _fail(jobs: list[Job[Any]], error: BaseException) -> None:
    for job in jobs:
        job.outcome = (False, error)


def _answer(batch: list[Job[Any]]) -> None:
    for job in batch:
        if job.future.cancelled():
            continue
        ok, value = job.outcome
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)
