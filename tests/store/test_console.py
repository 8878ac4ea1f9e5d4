"""The console's secret and sessions on both backends."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from surge.store.base import Store
from surge.store.records import ConsoleSession

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def session(key: str, *, hours: float = 1) -> ConsoleSession:
    return ConsoleSession(key, "ab" * 32, "lee", "responder", T0, T0 + timedelta(hours=hours))


async def test_the_first_secret_stored_is_the_one_every_caller_gets(store: Store) -> None:
    assert await store.console_secret("first", T0) == "first"
    assert await store.console_secret("second", T0 + timedelta(seconds=1)) == "first"


async def test_sessions_round_trip_end_once_and_are_purged(store: Store) -> None:
    await store.add_console_session(dataclasses.replace(session("a"), address="203.0.113.7"))
    await store.add_console_session(session("b", hours=3))
    found = await store.console_session("a")
    assert found == dataclasses.replace(session("a"), address="203.0.113.7")
    assert await store.console_session("nope") is None
    later = T0 + timedelta(minutes=5)
    assert await store.end_console_session("a", later)
    assert not await store.end_console_session("a", later)  # over already
    assert not await store.end_console_session("nope", later)
    ended = await store.console_session("a")
    assert ended is not None and ended.ended_at == later
    assert not await store.end_console_session("b", T0 + timedelta(hours=4))  # expired
    assert await store.purge_console_sessions(T0 + timedelta(hours=2)) == 1
    assert await store.console_session("a") is None
    assert await store.console_session("b") is not None
