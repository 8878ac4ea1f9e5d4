"""The ``wait`` action: for a duration, until a status (met at once, met later, timed out)."""

from __future__ import annotations

import pytest

from surge.playbook.library import validate_path
from surge.runtime import build_runtime
from surge.store.records import IncidentStatus, RunStatus


def statuses(runs):
    return [(run.step_id, run.attempt, run.status.value) for run in runs]


async def test_wait_for_a_duration(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Pause
        steps:
          - {id: pause, action: wait, with: {for: 300ms}}
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("pause", 1, "succeeded"), ("after", 1, "succeeded")]
    assert runs[0].result is not None and 0.3 <= runs[0].result["waited_s"] < 2
    assert runs[1].started_at is not None and runs[0].started_at is not None
    assert (runs[1].started_at - runs[0].started_at).total_seconds() >= 0.3
    waiting = [
        entry.message
        for entry in await runtime.store.timeline(incident.id)
        if entry.kind == "step.waiting"
    ]
    assert waiting == ["pause: waiting 300ms"]


@pytest.mark.parametrize("earlier", ["acknowledged", "mitigated"])
async def test_wait_until_a_status_already_reached_returns_at_once(
    earlier, write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        f"""
        id: pb
        title: Already
        steps:
          - {{id: move, action: set_status, with: {{status: {earlier}}}}}
          - {{id: wait-ack, action: wait, with: {{until: acknowledged, timeout: 1h}}}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id, timeout=5)
    assert statuses(runs) == [("move", 1, "succeeded"), ("wait-ack", 1, "succeeded")]
    assert runs[1].result == {"reached": earlier, "waited_s": 0}
    kinds = [entry.kind for entry in await runtime.store.timeline(incident.id)]
    assert "step.waiting" not in kinds


async def test_wait_until_a_status_reached_later_wakes_at_once(
    write_playbook, make_runtime, wait_settled, eventually
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Until
        steps:
          - {id: wait-ack, action: wait, with: {until: acknowledged, timeout: 1h}}
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")

    async def waiting() -> bool:
        return any(run.status is RunStatus.WAITING for run in await runtime.store.runs(incident.id))

    await eventually(waiting, what="the wait to start")
    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "alice")
    runs = await wait_settled(runtime, incident.id, timeout=5)
    assert statuses(runs) == [("wait-ack", 1, "succeeded"), ("after", 1, "succeeded")]
    assert runs[0].result is not None and runs[0].result["reached"] == "acknowledged"


async def test_wait_until_a_status_times_out_without_retry(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Timeout
        steps:
          - id: wait-ack
            action: wait
            with: {until: acknowledged, timeout: 200ms}
            retry: {attempts: 3, backoff: 10ms}
            on_failure: continue
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("wait-ack", 1, "failed"), ("after", 1, "succeeded")]
    assert runs[0].error == "timed out waiting for the incident to be acknowledged"
    waiting = [
        entry.message
        for entry in await runtime.store.timeline(incident.id)
        if entry.kind == "step.waiting"
    ]
    assert waiting == ["wait-ack: waiting up to 200ms for acknowledged"]


COMBINATIONS = [
    ("{}", "wait needs `for: DURATION` or `until: STATUS`"),
    (
        "{for: 1s, until: acknowledged}",
        "wait takes `for: DURATION` or `until: STATUS` (with `timeout:`), not both",
    ),
    ("{for: 1s, timeout: 5s}", "`timeout` only applies with `until: STATUS`"),
]


@pytest.mark.parametrize(("with_", "error"), COMBINATIONS)
def test_validate_refuses_arguments_that_do_not_fit_together(with_, error, tmp_path, config):
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"id: pb\ntitle: Bad wait\nsteps: [{{id: pause, action: wait, with: {with_}}}]\n"
    )
    runtime = build_runtime(config, load_entry_points=False)
    [problem] = validate_path(path, runtime.actions, runtime.templates)
    assert problem.message == f"action 'wait': {error}"


async def test_the_engine_refuses_rendered_arguments_that_do_not_fit_together(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Bad wait
        params: {d: {type: string, default: ""}}
        steps: [{id: pause, action: wait, with: {for: 1s, until: "{{ params.d or 'mitigated' }}"}}]
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "failed"
    assert run.error == f"wait: {COMBINATIONS[1][1]}"
