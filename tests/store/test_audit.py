"""The audit log on both backends: appended, read newest first with filters, and the
schema migrations it brings (number 7, with gaps for parts not merged yet)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from surge.audit.actor import Actor
from surge.audit.changes import Change
from surge.audit.log import AuditLog
from surge.store import open_store
from surge.store.base import Store
from surge.store.records import AuditEntry, AuditOutcome, AuditQuery
from surge.store.sql.connection import Connection
from surge.store.sql.store import SqlStore

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def entry(action: str, minutes: int = 0, **fields: object) -> AuditEntry:
    values: dict[str, object] = {
        "at": T0 + timedelta(minutes=minutes),
        "actor": "alice",
        "role": "responder",
        "origin": "203.0.113.7",
        "action": action,
        "address": "203.0.113.7",
        **fields,
    }
    return AuditEntry(**values)  # type: ignore[arg-type]


async def test_entries_round_trip_newest_first(store: Store) -> None:
    first = await store.add_audit(entry("incident.ack", target="incident:1", detail={"n": "注"}))
    second = await store.add_audit(entry("silence.add", 1, outcome=AuditOutcome.DENIED))
    assert (first.id, second.id) == (1, 2)
    found = await store.audit_entries(AuditQuery())
    assert found == [second, first]
    assert found[1].detail == {"n": "注"} and found[1].at == T0


async def test_filters_combine(store: Store) -> None:
    for number, action in enumerate(["incident.ack", "incident.resolve", "silence.add"]):
        await store.add_audit(entry(action, number, target=f"incident:{number}"))
    await store.add_audit(entry("incident_x", 5, actor="cli:bob", address=""))
    await store.add_audit(entry("incident%y", 6, outcome=AuditOutcome.DENIED))

    async def actions(**filters: object) -> list[str]:
        found = await store.audit_entries(AuditQuery(**filters))  # type: ignore[arg-type]
        return [item.action for item in found]

    assert await actions(action="incident.*") == ["incident.resolve", "incident.ack"]
    # the prefix is literal: _ and % are no wildcards
    assert await actions(action="incident_*") == ["incident_x"]
    assert await actions(action="incident%*") == ["incident%y"]
    assert await actions(actor="cli:bob") == ["incident_x"]
    assert await actions(address="") == ["incident_x"]
    assert await actions(target="incident:1") == ["incident.resolve"]
    assert await actions(outcome=AuditOutcome.DENIED) == ["incident%y"]
    assert await actions(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=5)) == [
        "silence.add",
        "incident.resolve",
    ]
    assert await actions(before=3, limit=1) == ["incident.resolve"]


async def test_the_audit_log_masks_secrets_before_storing(store: Store) -> None:
    log = AuditLog(store, secrets=["hunter2-secret"])
    actor = Actor("alice", "admin", "127.0.0.1", "127.0.0.1")
    detail = {"note": "pw is hunter2-secret", "password": "x", "nested": [{"api_key": "k"}]}
    stored = await log.record(actor, Change("thing.do", "thing:hunter2-secret", detail))
    assert stored.detail == {"note": "pw is ***", "password": "***", "nested": [{"api_key": "***"}]}
    assert stored.target == "thing:***"
    assert (await log.entries(AuditQuery()))[0] == stored


async def test_a_store_missing_a_migration_in_the_middle_gets_it(store: Store) -> None:
    """Migration numbers are reserved per part, so a store made before a part was merged
    lacks its number below others it has; opening it with that migration present applies
    it alone (on both backends)."""
    await store.add_audit(entry("kept"))

    def forget_scripts(db: Connection) -> list[int]:  # as if migration 4 had never run
        db.execute("DROP TABLE incident_scripts")
        db.execute("DROP TABLE script_approvals")
        db.execute("DELETE FROM schema_version WHERE version = 4")
        return [
            row["version"] for row in db.execute("SELECT version FROM schema_version").fetchall()
        ]

    assert isinstance(store, SqlStore)
    versions = await store.db.write(forget_scripts)
    assert 4 not in versions and 7 in versions
    again = open_store(store.url)
    await again.open()
    assert await again.active_script(1) is None  # the table is back
    assert [item.action for item in await again.audit_entries(AuditQuery())] == ["kept"]
    assert await again.schema_version() == max(versions)
    await again.close()
