"""The leader election as the runtime uses it, on the embedded store: one of several
processes on one SQLite file leads, the others take over when it stops; and its settings."""

from __future__ import annotations

import asyncio
import functools

import pytest

from surge.config import ConfigError, parse_config
from surge.replicas import Leader, ReplicaSettings
from surge.store import open_store

FAST = ReplicaSettings(leader_check=0.05, leader_lease=0.3, change_poll=0.05)


async def test_one_process_leads_and_another_takes_over_when_it_stops(tmp_path):
    stores = [open_store(f"sqlite:///{tmp_path}/surge.db") for _ in range(2)]
    for store in stores:
        await store.open()
    leaders = [Leader(store, f"engine-{n}", FAST) for n, store in enumerate(stores)]
    changes: list[tuple[int, bool]] = []
    for n, leader in enumerate(leaders):
        leader.listeners.append(
            functools.partial(lambda n, leading: changes.append((n, leading)), n)
        )
        await leader.start()
    try:
        await asyncio.sleep(0.3)
        assert [leader.leading for leader in leaders] == [True, False]
        await leaders[0].stop()  # a clean stop hands over at once, not after the lease
        for _ in range(40):
            if leaders[1].leading:
                break
            await asyncio.sleep(0.05)
        assert leaders[1].leading and changes == [(0, True), (1, True)]
    finally:
        for leader in leaders:
            await leader.stop()
        for store in stores:
            await store.close()


def test_the_replicas_section_is_checked():
    parsed = parse_config("replicas: {leader_check: 2s, leader_lease: 10s}\n", "c.yaml")
    assert parsed.replicas == ReplicaSettings(leader_check=2.0, leader_lease=10.0)
    with pytest.raises(ConfigError) as caught:
        parse_config("replicas: {leader_check: 5s, leader_lease: 2s, poll: 1s}\n", "c.yaml")
    found = [str(problem) for problem in caught.value.problems]
    assert any("unknown key 'poll'" in line for line in found)
    assert any("leader_lease must be longer than replicas.leader_check" in line for line in found)
