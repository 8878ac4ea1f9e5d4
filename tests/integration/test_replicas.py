"""Three real ``surge serve`` replicas on one PostgreSQL database: triggers fire once, each
step runs once, and a leader killed with ``kill -9`` mid-playbook or mid-wait is replaced
within the bound while nothing is sent twice.

Escalation policies (paging along a rota) are being built on another branch; their stand-in
here is what they are made of today: a durable ``wait until acknowledged`` with a timeout,
whose fallback step pages the next level (a webhook)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from integration.replicas import Cluster, Proxy
from integration.services import eventually, stays
from test_crash import Receiver, start_receiver

TAKEOVER_GOAL = 5.0  # seconds, with the default replicas settings (leader_check 1s)

WEBHOOKS = """
    id: relay
    title: Relay
    triggers:
      - alert: {match: {alertname: Relay}, params: {shard: "{{ labels.shard }}"}}
    group_by: [shard]
    params:
      shard: {type: string, required: true}
    steps:
      - {id: one, action: webhook, with: {target: fast, body: {n: 1}}}
      - {id: two, action: webhook, with: {target: fast, body: {n: 2}}}
      - {id: three, action: webhook, with: {target: fast, body: {n: 3}}}
"""
SLOW = """
    id: slow
    title: A playbook with a slow call and a timed step
    steps:
      - {id: one, action: webhook, with: {target: fast, body: {n: 1}}}
      - {id: two, action: webhook, with: {target: slow, body: {n: 2}}}
      - {id: pause, action: wait, with: {for: 1s}}
      - {id: three, action: webhook, with: {target: fast, body: {n: 3}}}
"""
ESCALATION = """
    id: escalation
    title: Page, wait for an acknowledgement, then page the next level
    steps:
      - {id: page, action: webhook, with: {target: fast, body: {level: 1}}}
      - id: wait-ack
        action: wait
        with: {until: acknowledged, timeout: 3s}
        on_failure: {fallback: escalate}
      - {id: escalate, action: webhook, when: 'incident.status == "triggered"',
         with: {target: fast, body: {level: 2}}}
"""
METRIC = """
    id: saturation
    title: Queue saturated
    triggers:
      - metric: {query: "queue_depth > 10", for: 1s, clear: "queue_depth < 2"}
    steps:
      - {id: tell, action: webhook, with: {target: fast, body: {n: 1}}}
"""


@pytest.fixture
async def receiver():
    # the slow call lasts until the test has killed its caller, however long starting the
    # other replicas takes on a busy machine (a fixed 8 s was once over before the kill)
    receiver = Receiver(slow_seconds=60.0)
    runner, port = await start_receiver(receiver)
    receiver.port = port  # type: ignore[attr-defined]
    yield receiver
    receiver.slow_release.set()
    await runner.cleanup()


@pytest.fixture
def cluster(postgres_url, tmp_path, processes, http, receiver) -> Cluster:
    # postgres_url first: its database is dropped after the replicas have stopped
    playbooks = {"relay": WEBHOOKS, "slow": SLOW, "escalation": ESCALATION}
    return Cluster(tmp_path, postgres_url, processes, http, receiver.port, playbooks)


def once_each(receiver: Receiver) -> Counter[str]:
    return Counter(key for _, key in receiver.deliveries)


async def test_three_replicas_open_one_incident_per_alert_and_run_each_step_once(cluster, receiver):
    replicas = await cluster.start(3)
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "Relay", "shard": f"s{n}"},
            "startsAt": "2026-11-25T08:00:00Z",
            "fingerprint": f"fp{n}",
        }
        for n in range(12)
    ]
    # every replica gets every alert, twice, at once: as behind a load balancer that retries
    answers = await asyncio.gather(
        *(replica.post_alerts(alerts) for replica in replicas for _ in range(2))
    )
    assert all(status == 200 for status, _ in answers)
    outcomes = Counter(r["outcome"] for _, body in answers for r in body["results"])
    assert outcomes["opened"] == 12, (outcomes, answers[0])
    assert outcomes["opened"] + outcomes["duplicate"] == 72
    incidents = [row[0] for row in cluster.query("SELECT id FROM incidents ORDER BY id")]
    assert len(incidents) == 12
    for incident in incidents:
        await cluster.settled(incident, 3)
    keys = {f"{i}:steps:{step}:1" for i in incidents for step in ("one", "two", "three")}
    assert once_each(receiver) == dict.fromkeys(keys, 1)  # sent once, not just taken once
    engines = cluster.query("SELECT DISTINCT claimed_by FROM step_runs")
    assert len(engines) >= 2, "the steps were all run by one replica"


async def test_a_metric_trigger_fires_once_with_three_replicas(
    postgres_url, tmp_path, processes, http, receiver, exporter, prometheus
):
    exporter.set("queue_depth", 50)
    server = await prometheus()
    await server.wait_series("queue_depth", 1)
    cluster = Cluster(
        tmp_path, postgres_url, processes, http, receiver.port, {"saturation": METRIC}, server.url
    )
    replicas = await cluster.start(3)
    await cluster.leader()

    async def opened() -> bool:
        return bool(cluster.query("SELECT id FROM incidents"))

    await eventually(opened, "the metric trigger to open an incident", timeout=20)
    await stays(
        lambda: asyncio.sleep(0, len(cluster.query("SELECT id FROM incidents")) == 1),
        "one incident",
        seconds=4,
    )
    evaluating = [(await r.readyz())[1]["triggers"]["evaluating"] for r in replicas]
    assert evaluating.count(True) == 1
    [(incident,)] = cluster.query("SELECT id FROM incidents")
    await cluster.settled(incident, 1)
    assert once_each(receiver) == {f"{incident}:steps:tell:1": 1}


async def test_kill_9_the_leader_mid_playbook(cluster, receiver):
    [first] = await cluster.start(1)
    assert await first.leads()
    incident = await cluster.trigger("slow")
    await asyncio.wait_for(receiver.slow_started.wait(), timeout=15)  # the leader runs it
    others = await cluster.start(2)
    killed_at = first.kill()
    receiver.slow_release.set()  # the re-sent call, and any later one, answers at once
    leader = await cluster.leader()
    takeover = time.monotonic() - killed_at
    assert leader in others
    print(f"takeover after kill -9 mid-playbook: {takeover:.2f}s")  # shown with -s
    assert takeover < TAKEOVER_GOAL, f"took {takeover:.1f}s to take over"
    # the interrupted call is resumed at once (the dead replica's presence lock went with
    # its connection), not after engine.lease (15 s by default)
    await cluster.settled(incident, 4, timeout=25)
    assert cluster.steps(incident) == [
        ("one", 1, "succeeded"),
        ("two", 1, "succeeded"),
        ("pause", 1, "succeeded"),
        ("three", 1, "succeeded"),
    ]
    assert set(receiver.processed) == {f"{incident}:steps:{s}:1" for s in ("one", "two", "three")}
    assert once_each(receiver) == {
        f"{incident}:steps:one:1": 1,
        f"{incident}:steps:two:1": 2,  # cut off mid-call: re-sent with the same key
        f"{incident}:steps:three:1": 1,
    }


async def test_kill_9_the_leader_mid_escalation(cluster, receiver):
    await cluster.start(3)
    leader = await cluster.leader()
    incident = await cluster.trigger("escalation")

    async def waiting() -> bool:
        return ("wait-ack", 1, "waiting") in cluster.steps(incident)

    await eventually(waiting, "the wait for an acknowledgement", timeout=15)
    killed_at = leader.kill()
    successor = await cluster.leader()
    takeover = time.monotonic() - killed_at
    print(f"takeover after kill -9 mid-wait: {takeover:.2f}s")  # shown with -s
    assert successor is not leader and takeover < TAKEOVER_GOAL
    await cluster.settled(incident, 3, timeout=20)
    assert cluster.steps(incident) == [
        ("page", 1, "succeeded"),
        ("wait-ack", 1, "failed"),  # nobody acknowledged within its 3 s
        ("escalate", 1, "succeeded"),
    ]
    # the timer kept its due time: the wait ran its whole 3 s across the takeover (timed by
    # the store's own records, not by when this test happened to see it waiting)
    [(started, finished)] = cluster.query(
        "SELECT started_at, finished_at FROM step_runs WHERE incident_id = %s"
        " AND step_id = 'wait-ack'",
        incident,
    )
    assert finished - started >= 2.9
    assert once_each(receiver) == {
        f"{incident}:steps:page:1": 1,
        f"{incident}:steps:escalate:1": 1,
    }


async def test_a_replica_cut_off_from_the_database_stops_leading_says_so_and_recovers(
    cluster,
):
    proxy = Proxy()
    await proxy.restore()
    via_proxy = cluster.store.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert via_proxy != cluster.store
    [cut_off] = await cluster.start(1, store=via_proxy)
    assert await cut_off.leads()
    [other] = await cluster.start(1)
    try:
        await proxy.cut()

        async def stepped_down() -> dict[str, Any] | None:
            status, body = await cut_off.readyz()
            replica = body["replica"]
            return body if status == 503 and replica["problem"] and not replica["leader"] else None

        body = await eventually(stepped_down, "the cut-off replica to step down", timeout=10)
        # "failing: " when the read check saw it first, "failing to write: " when the
        # engine's write did
        assert body["checks"]["store"].startswith("failing")
        assert "the database is unreachable" in body["replica"]["problem"]
        assert await cluster.leader() is other
        alert = {"status": "firing", "labels": {"alertname": "Relay", "shard": "cut"}}
        status, answer = await cut_off.post_alerts([alert])  # a 503 that says why, not a 500
        assert status == 503 and "the database is unreachable" in answer["error"], answer

        await proxy.restore()

        async def ready() -> bool:
            status, body = await cut_off.readyz()
            return status == 200 and body["replica"]["problem"] is None

        await eventually(ready, "the replica to recover", timeout=20)
        assert not await cut_off.leads() and await other.leads()
    finally:
        await proxy.cut()
