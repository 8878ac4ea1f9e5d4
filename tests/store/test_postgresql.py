"""What only the PostgreSQL store does: the placeholder adapter, URL options, migrations
that race, and advisory locks that vanish with their session (a killed replica's)."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

import psycopg
import pytest
from store.conftest import NOW, incident, run

from surge.store import StoreError, StoreUnavailable, open_store
from surge.store.postgresql import PostgresStore
from surge.store.postgresql.database import split_url, translate
from surge.store.records import EngineRecord
from surge.store.sql.migrations import available, latest


def test_placeholders_become_psycopgs_and_percent_signs_stay_literal():
    assert translate("SELECT * FROM t WHERE a = ? AND b IN (?,?)") == (
        "SELECT * FROM t WHERE a = %s AND b IN (%s,%s)"
    )
    assert translate("SELECT '?' || ?, 5 % 2 FROM t WHERE x LIKE 'a%'") == (
        "SELECT '?' || %s, 5 %% 2 FROM t WHERE x LIKE 'a%%'"
    )


def test_surge_options_are_taken_off_the_url_and_a_connect_timeout_added():
    conninfo, options = split_url("postgresql://u@db.internal/surge?pool_size=4&sslmode=require")
    assert options["pool_size"] == 4
    assert "pool_size" not in conninfo and "sslmode=require" in conninfo
    assert "connect_timeout=5" in conninfo
    with pytest.raises(StoreError, match="pool_size must be a number"):
        split_url("postgresql://u@h/db?pool_size=many")


async def test_an_unreachable_server_is_a_clear_error_without_the_password():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    store = open_store(f"postgresql://surge:hunter2@127.0.0.1:{port}/surge")
    with pytest.raises(StoreUnavailable) as refused:
        await store.open()
    assert "the database is unreachable" in str(refused.value)
    assert "hunter2" not in str(refused.value) and ":***@" in str(refused.value)
    await store.close()


async def test_replicas_that_start_together_migrate_once(postgres_url):
    stores = [open_store(postgres_url) for _ in range(4)]
    await asyncio.gather(*(store.open() for store in stores))
    versions = {await store.schema_version() for store in stores}
    for store in stores:
        await store.close()
    assert len(versions) == 1
    with psycopg.connect(postgres_url) as db:
        rows = db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [row[0] for row in rows] == [m.number for m in available("postgresql")]  # once each
    assert versions == {latest("postgresql")}


async def test_the_steps_of_an_engine_whose_session_ended_are_taken_over_at_once(postgres_url):
    alive, dead, other = (PostgresStore(postgres_url) for _ in range(3))
    for store in (alive, dead, other):
        await store.open()
    try:
        for name, store in (("alive", alive), ("dead", dead)):
            await store.heartbeat(EngineRecord(name, "host", 1, NOW, NOW))
            await store.create_incident(incident(), [run(name)], [])
            hour = NOW + timedelta(hours=1)
            [claimed] = await store.claim_due_runs(name, NOW, hour, 1)
            assert claimed.step_id == name
        await dead.session.close()  # what kill -9 does to its session: the locks go with it
        later = NOW + timedelta(seconds=1)  # both leases last another hour
        taken = []
        for _ in range(100):  # the server ends the session a moment after the socket closes
            taken = await other.claim_due_runs("other", later, later + timedelta(seconds=30), 10)
            if taken:
                break
            await asyncio.sleep(0.02)
        assert [(run.step_id, run.orphaned) for run in taken] == [("dead", True)]
    finally:
        for store in (alive, dead, other):
            await store.close()


async def test_a_leader_whose_connection_drops_stops_leading_and_another_takes_over(
    postgres_url,
):
    first, second = open_store(postgres_url), open_store(postgres_url)
    await first.open()
    await second.open()
    try:
        one = first.leadership("surge-leader", "one", 5.0)
        two = second.leadership("surge-leader", "two", 5.0)
        assert await one.attempt() and not await two.attempt()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"  # waits for it
                " WHERE application_name = 'surge-session' AND datname = current_database()"
                " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = 21367)"  # LEADER
            )
        assert not await one.attempt()
        assert one.problem is not None and "unreachable" in one.problem
        assert first.problem == one.problem
        assert await two.attempt()
        assert not await one.attempt()  # connected again: no problem, and not the leader
        assert one.problem is None
    finally:
        await first.close()
        await second.close()


def test_the_store_password_is_a_secret_redacted_everywhere():
    from surge.config import parse_config
    from surge.store import display_url

    config = parse_config("store: postgresql://surge:s3cr3t-pw@db.internal/surge\n", "c.yaml")
    assert "s3cr3t-pw" in config.secrets()
    assert display_url(config.store) == "postgresql://surge:***@db.internal/surge"


def test_long_lived_connections_keep_the_users_options_and_add_keepalives():
    from psycopg.conninfo import conninfo_to_dict

    from surge.store.postgresql.session import dedicated

    params = conninfo_to_dict(dedicated("postgresql://u@h/db?options=-csearch_path%3Dops", "x"))
    assert str(params["options"]).startswith("-csearch_path=ops -c tcp_keepalives_idle=")
    assert (params["application_name"], params["keepalives_idle"]) == ("x", "5")


async def test_waits_woken_by_an_answer_or_a_signal_are_heard_by_every_replica(postgres_url):
    """Paging's wake_run and the channels' signal_waits move a wait's due time; the feed's
    trigger on step_runs.due_at tells the other replicas (SQLite's engines poll instead)."""
    writer, reader = open_store(postgres_url), open_store(postgres_url)
    await writer.open()
    await reader.open()
    feed = reader.changes(poll_interval=0.05)
    await feed.start()
    try:
        created = await writer.create_incident(incident(), [run("a")], [])
        [claimed] = await writer.claim_due_runs("e", NOW, NOW + timedelta(hours=1), 1)
        await writer.defer_run(claimed.id, "e", NOW + timedelta(hours=1), {}, True, [], NOW)
        async with feed.subscribe() as changes:
            await asyncio.sleep(0.3)  # listening
            for wake in (
                writer.wake_run(claimed.id, NOW + timedelta(minutes=30)),
                writer.signal_waits(created.id, {"escalate": "ann"}, NOW),
            ):
                await wake
                change = await asyncio.wait_for(anext(changes), timeout=10)
                assert (change.kind, change.incident_id) == ("runs", created.id)
    finally:
        await writer.close()
        await reader.close()
