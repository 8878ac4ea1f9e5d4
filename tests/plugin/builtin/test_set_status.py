"""The ``set_status`` action: moves the incident, and refuses a move the lifecycle forbids."""

from __future__ import annotations

from surge.store.records import IncidentStatus


def statuses(runs):
    return [(run.phase.value, run.step_id, run.attempt, run.status.value) for run in runs]


async def test_set_status_moves_the_incident_as_the_playbook(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Moves
        steps:
          - {id: ack, action: set_status, with: {status: acknowledged, reason: auto-ack}}
          - {id: again, action: set_status, with: {status: acknowledged}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.result for run in runs] == [
        {"status": "acknowledged", "changed": True},
        {"status": "acknowledged", "changed": False},
    ]
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None and stored.status is IncidentStatus.ACKNOWLEDGED
    changes = [
        (entry.actor, entry.message)
        for entry in await runtime.store.timeline(incident.id)
        if entry.kind == "status"
    ]
    assert changes == [("playbook", "acknowledged by playbook: auto-ack")]


async def test_set_status_refuses_an_invalid_transition(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Backwards
        steps:
          - {id: mitigate, action: set_status, with: {status: mitigated}}
          - id: back
            action: set_status
            with: {status: acknowledged}
            retry: {attempts: 3, backoff: 10ms}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("steps", "mitigate", 1, "succeeded"), ("steps", "back", 1, "failed")]
    assert runs[1].error == f"incident {incident.id} is mitigated; it cannot be set to acknowledged"
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None and stored.status is IncidentStatus.MITIGATED


async def test_set_status_resolved_runs_on_resolve(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Resolves
        steps:
          - {id: done, action: set_status, with: {status: resolved, reason: recovered}}
          - {id: never, action: probe.record}
        on_resolve:
          - {id: close, action: log, with: {message: closing}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    by_step = {run.step_id: run.status.value for run in runs}
    assert by_step["done"] == "succeeded" and by_step["close"] == "succeeded"
    assert by_step.get("never", "skipped") == "skipped"
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None and stored.status is IncidentStatus.RESOLVED
