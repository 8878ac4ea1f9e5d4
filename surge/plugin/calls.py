"""Calling one plugin's event hook so that it can neither hang nor stop the engine.

An ``async def`` hook runs on the event loop. A plain ``def`` hook runs in a daemon thread
of its own, so blocking I/O in it cannot stall the loop; if it returns an awaitable, that
is awaited on the loop. Either way the call gets a deadline: when it passes, the call is
cancelled (a thread cannot be, it is left to finish on its own) and not waited for again.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from surge.store.records import Incident

log = logging.getLogger(__name__)
# where failures go: (plugin, hook, error, incident); the engine records and counts them
ErrorSink = Callable[[str, str, BaseException, "Incident | None"], Awaitable[None] | None]


CANCEL_GRACE = 1.0  # seconds a cut-off call may take to clean up before it is abandoned


class HookTimeout(TimeoutError):
    """A plugin's hook did not finish within the manager's ``hook_timeout``."""


async def call_each(
    impls: Sequence[pluggy.HookImpl],
    kwargs: Mapping[str, Any],
    deadline: float,
    stragglers: set[asyncio.Task[Any]],
    report: Callable[[str, BaseException], Awaitable[None]],
) -> None:
    """Call every implementation at once, each within ``deadline`` seconds; never raise.

    What a plugin raises, and ``HookTimeout`` for one that is cut off, goes to ``report``.
    """

    async def one(impl: pluggy.HookImpl) -> None:
        args = [kwargs[arg] for arg in impl.argnames]
        try:
            await call_with_deadline(impl.function, args, deadline, stragglers)
        except asyncio.CancelledError as error:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller is being cancelled, not the plugin failing
            await report(impl.plugin_name, error)
        except Exception as error:
            await report(impl.plugin_name, error)

    await asyncio.gather(*(one(impl) for impl in impls))


async def report_failure(
    sink: ErrorSink | None, plugin: str, hook: str, error: BaseException, incident: Incident | None
) -> None:
    """Log a plugin's failure and hand it to ``sink``; never raise."""
    log.warning("plugin %s failed in %s: %s: %s", plugin, hook, type(error).__name__, error)
    if sink is None:
        return
    try:
        result = sink(plugin, hook, error, incident)
        if inspect.isawaitable(result):
            await result
    except Exception:  # recording must never take the caller down
        log.exception("could not record the failure of plugin %s", plugin)


async def call_with_deadline(
    function: Callable[..., Any],
    args: Sequence[Any],
    deadline: float,
    stragglers: set[asyncio.Task[Any]],
) -> Any:
    """``function(*args)``'s result; raise what it raised, or ``HookTimeout`` after
    ``deadline`` seconds (a ``TimeoutError`` the function raises itself stays what it is).

    A call cut off is cancelled and kept in ``stragglers`` until it ends, so a plugin that
    ignores the cancellation holds no one up and is not garbage-collected while running.
    """
    task = asyncio.ensure_future(_invoke(function, args))
    try:
        done, _ = await asyncio.wait({task}, timeout=deadline)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    task.cancel()
    # a well-behaved call cleans up when cancelled (kills its child process, closes its
    # connection): give it a moment, so what it started is gone when the step is recorded
    finished, _ = await asyncio.wait({task}, timeout=CANCEL_GRACE)
    if task in finished:
        _forget(task, stragglers)
    else:
        stragglers.add(task)
        task.add_done_callback(lambda ended: _forget(ended, stragglers))
    raise HookTimeout(f"did not finish within {deadline:g}s")


def _forget(task: asyncio.Task[Any], stragglers: set[asyncio.Task[Any]]) -> None:
    stragglers.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a late failure was already reported as a timeout


async def _invoke(function: Callable[..., Any], args: Sequence[Any]) -> Any:
    try:
        if inspect.iscoroutinefunction(function):
            return await function(*args)
        result = await _in_thread(function, args)
        if inspect.isawaitable(result):
            return await result
        return result
    except SystemExit as error:  # a plugin must not end the process
        raise RuntimeError(f"the plugin called sys.exit({error.code!r})") from None


def _in_thread(function: Callable[..., Any], args: Sequence[Any]) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # given up on: nobody awaits what it returned
            if inspect.iscoroutine(result):
                result.close()
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = function(*args)
        except BaseException as caught:  # handed to the loop, which decides
            error = caught
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    name = getattr(function, "__qualname__", "hook")
    threading.Thread(target=run, name=f"surge-hook-{name}", daemon=True).start()
    return future
