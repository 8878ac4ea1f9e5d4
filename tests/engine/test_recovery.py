"""What a new engine does with the work of one that died (simulated in-process).

The real-process version, with ``kill -9``, is tests/test_crash.py.
"""

from __future__ import annotations

from datetime import timedelta

from surge.store.records import RunStatus


async def _die_while_running(runtime, incident_id: int, *, called: bool = True):
    """Claim the incident's first run as an engine that then vanishes."""
    now = runtime.engine.clock()
    [run] = await runtime.store.claim_due_runs("dead-engine", now, now + timedelta(seconds=0.3), 10)
    assert run.incident_id == incident_id
    if called:  # the action was called: its arguments were recorded first
        assert await runtime.store.mark_run_started(run.id, "dead-engine", {"value": 1}, [])
    return run


async def test_a_safe_step_is_run_again_with_the_same_idempotency_key(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Safe
        steps:
          - {id: send, action: probe.record, with: {value: 1}}
          - {id: after, action: probe.record, with: {value: 2}}
    """,
    )
    runtime = await make_runtime(start=False)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    dead = await _die_while_running(runtime, incident.id)
    await runtime.engine.start()
    runs = await wait_settled(runtime, incident.id)
    assert [(run.step_id, run.attempt, run.status) for run in runs] == [
        ("send", 1, RunStatus.SUCCEEDED),
        ("after", 1, RunStatus.SUCCEEDED),
    ]
    assert probe.calls[0].key == dead.idempotency_key
    messages = [entry.message for entry in await runtime.store.timeline(incident.id)]
    assert any("running it again with the same idempotency key" in text for text in messages)


async def test_an_unsafe_step_becomes_unknown_and_on_failure_decides(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Unsafe
        steps:
          - {id: send, action: probe.unsafe, on_failure: continue}
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime(start=False)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await _die_while_running(runtime, incident.id)
    await runtime.engine.start()
    runs = await wait_settled(runtime, incident.id)
    assert [(run.step_id, run.status) for run in runs] == [
        ("send", RunStatus.UNKNOWN),
        ("after", RunStatus.SUCCEEDED),
    ]
    assert probe.calls_of("probe.unsafe") == []
    assert "whether it took effect is unknown" in (runs[0].error or "")


async def test_a_step_claimed_but_never_started_simply_runs(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Claimed
        steps: [{id: send, action: probe.unsafe}]
    """,
    )
    runtime = await make_runtime(start=False)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await _die_while_running(runtime, incident.id, called=False)
    await runtime.engine.start()
    runs = await wait_settled(runtime, incident.id)
    assert runs[0].status is RunStatus.SUCCEEDED
    assert len(probe.calls_of("probe.unsafe")) == 1


async def test_a_durable_wait_survives_a_restart_without_restarting_its_clock(
    write_playbook, make_runtime, config, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Wait
        steps: [{id: pause, action: wait, with: {for: 600ms}}]
    """,
    )
    first = await make_runtime()
    incident = await first.engine.trigger("pb", {}, actor="test")
    for _ in range(100):
        [run] = await first.store.runs(incident.id)
        if run.status is RunStatus.WAITING:
            break
    await first.close()
    second = await make_runtime()
    runs = await wait_settled(second, incident.id)
    assert runs[0].status is RunStatus.SUCCEEDED
    waited = runs[0].result["waited_s"]
    assert 0.55 <= waited < 2.0  # measured from the first call, not from the restart


async def test_a_run_taken_over_by_another_engine_is_not_finished_twice(
    make_runtime, write_playbook
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Takeover
        steps: [{id: send, action: probe.record}]
    """,
    )
    runtime = await make_runtime(start=False)
    store = runtime.store
    await runtime.engine.trigger("pb", {}, actor="test")
    now = runtime.engine.clock()
    [run] = await store.claim_due_runs("slow", now, now + timedelta(milliseconds=1), 10)
    later = now + timedelta(seconds=1)
    [again] = await store.claim_due_runs("fast", later, later + timedelta(seconds=30), 10)
    assert again.id == run.id and again.orphaned
    assert await store.finish_run(run.id, "slow", RunStatus.SUCCEEDED, later, []) is None
    assert await store.finish_run(run.id, "fast", RunStatus.SUCCEEDED, later, []) is not None
    assert not await store.mark_run_started(run.id, "slow", {}, [])


async def test_a_playbook_edited_under_a_running_incident_never_runs_the_wrong_step(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Edited
        steps:
          - {id: gone, action: probe.record}
    """,
    )
    before = await make_runtime(start=False)
    incident = await before.engine.trigger("pb", {}, actor="test")
    await before.close()
    write_playbook(
        "pb",
        """
        id: pb
        title: Edited
        steps:
          - {id: other, action: probe.record}
    """,
    )
    after = await make_runtime()
    [run] = await wait_settled(after, incident.id)
    assert run.status is RunStatus.FAILED
    assert "step 'gone' is no longer in playbook 'pb'" in (run.error or "")
    assert probe.calls == []
