"""What replicas sharing one store rely on, on every backend: an alert delivered to
several of them opens one incident, one of them leads, each hears of the others' changes,
and the signal, silence, timer and lease tables behave alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from store.conftest import NOW, incident, run

from surge.store import open_store
from surge.store.records import (
    AdmitRequest,
    Admitted,
    Silence,
    TimelineEntry,
    TriggerPhase,
    TriggerState,
)


def request(dedupe_key: str, group_key: str = "web", **changes) -> AdmitRequest:
    opened = TimelineEntry(0, NOW, "test", "incident.opened", "opened")
    fields: dict[str, Any] = dict(
        incident=incident(group_key=group_key, trigger="alert"),
        first_runs=[run("a")],
        opened=opened,
        joined=TimelineEntry(0, NOW, "test", "signal.joined", "joined"),
        cooldown=0.0,
        max_open=100,
        fingerprint=dedupe_key.split("@")[0],
        labels={"alertname": "Down"},
        dedupe_key=dedupe_key,
    )
    fields.update(changes)
    return AdmitRequest(**fields)


@pytest.fixture
async def replicas(store_url):
    """Three stores on one database, as three processes would open it."""
    stores = [open_store(store_url) for _ in range(3)]
    for store in stores:
        await store.open()
    yield stores
    for store in stores:
        await store.close()


@pytest.mark.parametrize("group_key", ["web", ""])
async def test_one_alert_delivered_to_every_replica_at_once_opens_one_incident(replicas, group_key):
    results = await asyncio.gather(
        *(
            store.admit(request(f"fp{n}@t0", group_key), NOW)
            for n in range(5)
            for store in replicas
            for _ in range(2)
        )
    )
    opened = [r for r in results if r.outcome is Admitted.OPENED]
    incidents = await replicas[0].list_incidents()
    if group_key:  # five alerts of one group: one incident, which the others join
        assert len(opened) == 1 and len(incidents) == 1
    else:  # five alerts without a group: one incident each, never two
        assert len(opened) == 5 and len(incidents) == 5
    assert {r.outcome for r in results} <= {Admitted.OPENED, Admitted.JOINED, Admitted.DUPLICATE}
    for found in incidents:
        assert [r.step_id for r in await replicas[0].runs(found.id)] == ["a"]


async def test_admission_joins_cools_down_and_caps(replicas):
    store = replicas[0]
    first = await store.admit(request("a@1"), NOW)
    assert first.outcome is Admitted.OPENED and first.incident is not None
    assert (await store.admit(request("a@1"), NOW)).outcome is Admitted.DUPLICATE
    assert (await store.admit(request("b@1"), NOW)).outcome is Admitted.JOINED
    cleared = await store.clear_signal("pb", "a", NOW)
    assert cleared is not None and cleared[1] == 1  # b still fires
    from surge.store.records import IncidentStatus

    await store.change_status(
        first.incident.id, IncidentStatus.RESOLVED, [IncidentStatus.TRIGGERED], NOW, []
    )
    later = NOW + timedelta(seconds=10)
    assert (await store.admit(request("c@1", cooldown=60), later)).outcome is Admitted.COOLDOWN
    capped = await store.admit(request("d@1", group_key="other", max_open=0), later)
    assert capped.outcome is Admitted.CAPPED


async def test_silences_trigger_timers_and_leases(replicas):
    store, other = replicas[0], replicas[1]
    silence = Silence(0, ['alertname="Down"'], NOW, None, "deploy", "lee", NOW, components=["web"])
    kept = await store.add_silence(silence)
    assert kept.id > 0 and await other.list_silences() == [kept]
    assert await other.expire_silence(kept.id, NOW)
    assert await store.list_silences(unexpired_at=NOW + timedelta(seconds=1)) == []

    state = TriggerState("pb", "k", '{"a":"1"}', TriggerPhase.PENDING, NOW, {"a": "1"}, 0.5)
    await store.save_trigger_states([state])
    moved = replace(state, phase=TriggerPhase.FIRING, value=7.25, updated_at=NOW)
    await other.save_trigger_states([moved])
    assert await store.trigger_states("pb") == [moved]
    await store.save_trigger_states([], [moved])
    assert await other.trigger_states() == []

    soon, later = NOW + timedelta(seconds=5), NOW + timedelta(seconds=30)
    assert await store.acquire_lease("x", "one", NOW, soon)
    assert not await other.acquire_lease("x", "two", NOW, soon)
    assert await other.acquire_lease("x", "two", later, later + timedelta(seconds=5))


async def test_exactly_one_replica_leads_and_another_takes_over_when_it_resigns(replicas):
    leaderships = [
        store.leadership("surge-test", f"replica-{n}", 5.0) for n, store in enumerate(replicas)
    ]
    leading = [await each.attempt() for each in leaderships]
    assert leading.count(True) == 1
    assert [await each.attempt() for each in leaderships] == leading  # it keeps the lead
    leader = leading.index(True)
    await leaderships[leader].resign()
    others = [n for n in range(3) if n != leader]
    after = [await leaderships[n].attempt() for n in others]
    assert after.count(True) == 1
    assert all(each.problem is None for each in leaderships)


async def test_every_replica_hears_of_changes_another_commits(replicas):
    writer, *readers = replicas
    feeds = [store.changes(poll_interval=0.05) for store in readers]
    for feed in feeds:
        await feed.start()
    async with feeds[0].subscribe() as first, feeds[1].subscribe() as second:
        await asyncio.sleep(0.3)  # listening (PostgreSQL) or past the first poll (SQLite)
        created = await writer.create_incident(
            incident(), [run("a")], [TimelineEntry(0, NOW, "test", "incident.opened", "x")]
        )
        [entry] = await writer.timeline(created.id)
        for subscription in (first, second):
            seen: set[tuple[str, int, int]] = set()
            while len(seen) < 2:
                change = await asyncio.wait_for(anext(subscription), timeout=10)
                seen.add((change.kind, change.incident_id, change.entry_id))
            assert seen == {("timeline", created.id, entry.id), ("runs", created.id, 0)}
