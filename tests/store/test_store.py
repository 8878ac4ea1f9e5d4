"""The store, on every backend: migrations, exclusive claims, compare-and-set status
changes, tokens, engines, scripts (the backend-specific parts are in test_sqlite.py and
test_postgresql.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from store.conftest import NOW, incident, run

from surge.store import StoreError, open_store
from surge.store.records import (
    IncidentStatus,
    NewRun,
    Phase,
    RunStatus,
    TimelineEntry,
    TokenRecord,
)

MIGRATIONS = Path(__file__).parents[2] / "surge" / "store" / "migrations" / "sqlite"
# the highest migration number (numbers are reserved per part, so some may be missing)
SCHEMA = max(int(path.name.split("_", 1)[0]) for path in MIGRATIONS.glob("*.sql"))


async def test_reopening_does_not_migrate_again_and_a_newer_schema_is_refused(store):
    assert await store.schema_version() == SCHEMA
    await store.create_incident(incident(), [], [])
    again = open_store(store.url)
    await again.open()
    assert await again.schema_version() == SCHEMA
    assert len(await again.list_incidents()) == 1
    await again.close()
    await store.db.write(lambda db: db.execute("INSERT INTO schema_version VALUES (99)"))
    newer = open_store(store.url)
    with pytest.raises(StoreError, match="newer than this surge knows"):
        await newer.open()
    await newer.close()


async def test_incident_round_trip_keeps_unicode_params(store):
    created = await store.create_incident(
        incident(context={"labels": {"team": "客服"}}),
        [run("a")],
        [TimelineEntry(0, NOW, "test", "incident.opened", "opened", {"k": "值"})],
    )
    loaded = await store.get_incident(created.id)
    assert loaded == created
    [entry] = await store.timeline(created.id)
    assert entry.incident_id == created.id and entry.data == {"k": "值"}


async def test_list_filters_and_order(store):
    for playbook in ("a", "b", "a"):
        await store.create_incident(incident(playbook_id=playbook), [], [])
    assert [i.id for i in await store.list_incidents(playbook_id="a")] == [3, 1]
    assert len(await store.list_incidents(statuses=[IncidentStatus.RESOLVED])) == 0
    assert len(await store.list_incidents(limit=2)) == 2
    counts = await store.incident_counts()
    assert counts == {
        ("a", "manual", IncidentStatus.TRIGGERED): 2,
        ("b", "manual", IncidentStatus.TRIGGERED): 1,
    }


async def test_change_status_is_compare_and_set(store):
    created = await store.create_incident(incident(), [run("a")], [])
    allowed = [IncidentStatus.TRIGGERED]
    first = await store.change_status(created.id, IncidentStatus.ACKNOWLEDGED, allowed, NOW, [])
    assert first is not None and first[1] is IncidentStatus.TRIGGERED
    assert (
        await store.change_status(created.id, IncidentStatus.ACKNOWLEDGED, allowed, NOW, []) is None
    )
    assert await store.change_status(999, IncidentStatus.ACKNOWLEDGED, allowed, NOW, []) is None


async def test_closing_skips_open_steps_and_schedules_on_resolve(store):
    created = await store.create_incident(incident(), [run("a"), run("b", 1)], [])
    on_resolve = NewRun(Phase.ON_RESOLVE, 0, "cleanup", "log", 1, NOW)
    await store.change_status(
        created.id, IncidentStatus.RESOLVED, [IncidentStatus.TRIGGERED], NOW, [], [on_resolve]
    )
    runs = await store.runs(created.id)
    assert [(r.step_id, r.status) for r in runs] == [
        ("a", RunStatus.SKIPPED),
        ("b", RunStatus.SKIPPED),
        ("cleanup", RunStatus.PENDING),
    ]
    resolved = await store.get_incident(created.id)
    assert resolved is not None and resolved.resolved_at == NOW


async def test_finish_drops_next_steps_of_a_closed_incident(store):
    created = await store.create_incident(incident(), [run("a")], [])
    [claimed] = await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10)
    await store.change_status(
        created.id, IncidentStatus.CANCELLED, [IncidentStatus.TRIGGERED], NOW, []
    )
    finished = await store.finish_run(
        claimed.id, "e", RunStatus.SUCCEEDED, NOW, [], next_runs=[run("b", 1)]
    )
    assert finished is not None
    assert [r.step_id for r in await store.runs(created.id)] == ["a"]


async def test_only_due_runs_are_claimed_and_waits_come_back_when_due(store):
    created = await store.create_incident(
        incident(), [run("now"), run("later", 1, NOW + timedelta(minutes=5))], []
    )
    [claimed] = await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10)
    assert claimed.step_id == "now" and not claimed.orphaned
    assert await store.defer_run(
        claimed.id, "e", NOW + timedelta(minutes=1), {"k": 1}, True, [], NOW
    )
    assert await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10) == []
    assert await store.next_due_at() == NOW + timedelta(minutes=1)
    # a status change wakes waits that asked for it
    await store.change_status(
        created.id, IncidentStatus.ACKNOWLEDGED, [IncidentStatus.TRIGGERED], NOW, []
    )
    [woken] = await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10)
    assert woken.step_id == "now" and woken.resume == {"k": 1}


async def test_several_connections_claiming_at_once_never_share_a_run(store_url):
    stores = [open_store(store_url) for _ in range(3)]
    for store in stores:
        await store.open()
    try:
        for n in range(40):
            await stores[0].create_incident(incident(), [run(f"s{n}")], [])

        async def claim_all(store, name):
            got: list[int] = []
            while batch := await store.claim_due_runs(name, NOW, NOW + timedelta(hours=1), 3):
                got.extend(run.id for run in batch)
                await asyncio.sleep(0)
            return got

        results = await asyncio.gather(*(claim_all(s, f"e{i}") for i, s in enumerate(stores)))
        claimed = [run_id for result in results for run_id in result]
        assert len(claimed) == 40 and len(set(claimed)) == 40
    finally:
        for store in stores:
            await store.close()


async def test_tokens_are_kept_by_hash_and_can_be_revoked(store):
    await store.add_token(TokenRecord("ops", "responder", "ab" * 32, NOW))
    with pytest.raises(StoreError, match="exists already"):
        await store.add_token(TokenRecord("ops", "viewer", "cd" * 32, NOW))
    found = await store.find_token("ab" * 32)
    assert found is not None and found.role == "responder"
    assert await store.revoke_token("ops", NOW)
    assert await store.find_token("ab" * 32) is None
    assert not await store.revoke_token("ops", NOW)


async def test_engine_heartbeats(store):
    from surge.store.records import EngineRecord

    await store.heartbeat(EngineRecord("e1", "host", 1, NOW, NOW))
    await store.heartbeat(EngineRecord("e1", "host", 1, NOW, NOW + timedelta(seconds=5)))
    assert [e.seen_at for e in await store.engines(NOW)] == [NOW + timedelta(seconds=5)]
    await store.remove_engine("e1")
    assert await store.engines(NOW) == []


async def test_an_unopened_store_says_so(store_url):
    store = open_store(store_url)
    with pytest.raises(StoreError, match="not open"):
        await store.get_incident(1)


async def test_a_wait_that_parks_after_its_incident_closed_is_skipped(store):
    created = await store.create_incident(incident(), [run("wait-ack")], [])
    [claimed] = await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10)
    await store.change_status(
        created.id, IncidentStatus.CANCELLED, [IncidentStatus.TRIGGERED], NOW, []
    )
    later = NOW + timedelta(hours=1)
    assert not await store.defer_run(claimed.id, "e", later, {}, True, [], NOW)
    [parked] = await store.runs(created.id)
    assert parked.status is RunStatus.SKIPPED
    assert parked.error == "the incident was closed"
    assert (await store.timeline(created.id))[
        -1
    ].message == "wait-ack: skipped, the incident was closed"


async def test_approvals_are_kept_in_order_and_per_script(store):
    from surge.store.records import Approval

    first = await store.add_approval(Approval("outage-initial", "a" * 64, "lee", NOW))
    await store.add_approval(Approval("other", "b" * 64, "kim", NOW))
    later = NOW + timedelta(hours=1)
    await store.add_approval(Approval("outage-initial", "c" * 64, "kim", later, "new ETA wording"))
    history = await store.approvals("outage-initial")
    assert [(a.sha256[0], a.approved_by, a.note) for a in history] == [
        ("a", "lee", ""),
        ("c", "kim", "new ETA wording"),
    ]
    assert first.id == history[0].id
    assert len(await store.approvals()) == 3


async def test_an_incident_has_one_active_script_at_a_time(store):
    from surge.store.records import ActiveScript

    created = await store.create_incident(incident(), [], [])
    assert await store.active_script(created.id) is None
    await store.set_active_script(ActiveScript(created.id, "a", {"eta": "1h"}, "lee", NOW))
    await store.set_active_script(ActiveScript(created.id, "b", {"eta": "2h"}, "kim", NOW))
    active = await store.active_script(created.id)
    assert active is not None
    assert (active.script_id, active.variables, active.activated_by) == ("b", {"eta": "2h"}, "kim")


async def test_a_wait_deferred_after_its_incident_changed_status_is_due_at_once(store):
    """change_status wakes only runs already waiting; a run still in its action when the
    status changed is made due at once when it defers, if it waits on the status."""
    later, at = NOW + timedelta(hours=1), NOW + timedelta(seconds=2)
    racing = await store.create_incident(incident(group_key="racing"), [run("a")], [])
    quiet = await store.create_incident(incident(group_key="quiet"), [run("a")], [])
    timed = await store.create_incident(incident(group_key="timed"), [run("a")], [])
    claimed = {r.incident_id: r for r in await store.claim_due_runs("e", NOW, later, 10)}
    seen = IncidentStatus.TRIGGERED
    for changed in (racing, timed):  # acknowledged while the action ran
        await store.change_status(
            changed.id, IncidentStatus.ACKNOWLEDGED, [seen], NOW + timedelta(seconds=1), []
        )
    for which, on_status in ((racing, True), (quiet, True), (timed, False)):
        run_id = claimed[which.id].id
        assert await store.defer_run(run_id, "e", later, {}, on_status, [], at, seen_status=seen)
    due = {r.incident_id: r.due_at for i in (racing, quiet, timed) for r in await store.runs(i.id)}
    assert due == {racing.id: at, quiet.id: later, timed.id: later}
    assert [r.id for r in await store.claim_due_runs("e", at, later, 10)] == [claimed[racing.id].id]
