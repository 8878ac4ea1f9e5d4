"""The engine: step order, when, retries, timeouts, on_failure, waits, lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from surge.engine.engine import TransitionError
from surge.store.records import IncidentStatus, RunStatus


def statuses(runs):
    return [(run.step_id, run.attempt, run.status.value) for run in runs]


async def test_steps_run_in_order_and_results_feed_later_templates(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Order
        params: {who: {type: string, default: ops}}
        steps:
          - {id: first, action: probe.record, with: {value: "hello {{ params.who }}"}}
          - id: second
            action: probe.record
            with: {value: "{{ steps.first.result.echo.value }}!"}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("first", 1, "succeeded"), ("second", 1, "succeeded")]
    assert [call.args["value"] for call in probe.calls] == ["hello ops", "hello ops!"]
    kinds = [entry.kind for entry in await runtime.store.timeline(incident.id)]
    assert kinds[0] == "incident.opened"
    assert kinds.count("step.started") == 2 and kinds.count("step.succeeded") == 2


async def test_when_false_skips_the_step(write_playbook, make_runtime, probe, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: When
        params: {loud: {type: bool, default: false}}
        steps:
          - {id: shout, action: probe.record, when: params.loud, with: {value: 1}}
          - {id: after, action: probe.record, with: {value: 2}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("shout", 1, "skipped"), ("after", 1, "succeeded")]
    assert [call.step for call in probe.calls] == ["after"]


async def test_retries_until_success_with_the_attempt_in_the_key(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Retry
        steps:
          - id: flaky
            action: probe.fail
            with: {times: 2}
            retry: {attempts: 3, backoff: 10ms}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [
        ("flaky", 1, "failed"),
        ("flaky", 2, "failed"),
        ("flaky", 3, "succeeded"),
    ]
    keys = [call.key for call in probe.calls]
    assert len(set(keys)) == 3 and all(
        key.startswith(f"{incident.id}:steps:flaky:") for key in keys
    )


async def test_retry_waits_with_growing_backoff(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Backoff
        steps:
          - id: flaky
            action: probe.fail
            with: {times: 2}
            retry: {attempts: 3, backoff: 200ms, max_backoff: 1s}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    gaps = [(runs[n + 1].due_at - runs[n].finished_at).total_seconds() for n in range(2)]
    # equal jitter: between half and all of 200ms, then of 400ms
    assert 0.099 <= gaps[0] <= 0.201
    assert 0.199 <= gaps[1] <= 0.401


async def test_non_retryable_error_is_not_retried(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Fatal
        steps:
          - {id: fatal, action: probe.fail, with: {times: 5, retryable: false},
             retry: {attempts: 4, backoff: 10ms}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    assert statuses(await wait_settled(runtime, incident.id)) == [("fatal", 1, "failed")]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("abort", [("bad", 1, "failed")]),
        ("continue", [("bad", 1, "failed"), ("next", 1, "succeeded"), ("rescue", 1, "succeeded")]),
        ("{fallback: rescue}", [("bad", 1, "failed"), ("rescue", 1, "succeeded")]),
    ],
)
async def test_on_failure_policies(policy, expected, write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        f"""
        id: pb
        title: Failure
        steps:
          - {{id: bad, action: probe.fail, with: {{times: 9}}, on_failure: {policy}}}
          - {{id: next, action: probe.record}}
          - {{id: rescue, action: probe.record}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    assert statuses(await wait_settled(runtime, incident.id)) == expected
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None and stored.status is IncidentStatus.TRIGGERED
    notes = [
        entry.message for entry in await runtime.store.timeline(incident.id) if entry.kind == "flow"
    ]
    assert any("on_failure" in note for note in notes)


async def test_a_hanging_action_is_cut_off_by_the_step_timeout(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Hang
        steps:
          - {id: stuck, action: probe.hang, timeout: 200ms, on_failure: continue}
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime()
    started = asyncio.get_running_loop().time()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id, timeout=5)
    assert statuses(runs) == [("stuck", 1, "failed"), ("after", 1, "succeeded")]
    assert runs[0].error == "timed out after 200ms"
    assert asyncio.get_running_loop().time() - started < 3


async def test_a_raising_plugin_is_isolated_recorded_and_counted(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Crash
        steps:
          - {id: buggy, action: probe.crash, on_failure: continue}
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("buggy", 1, "failed"), ("after", 1, "succeeded")]
    assert runs[0].error == "RuntimeError: the plugin has a bug"
    errors = runtime.engine.metrics.registry.get_sample_value(
        "surge_plugin_errors_total", {"plugin": "probe"}
    )
    assert errors == 1.0


async def test_outside_values_reach_the_action_literally(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Injection
        params: {text: {type: string, required: true}}
        steps:
          - id: echo
            action: probe.record
            with:
              whole: "{{ params.text }}"
              inside: "said: {{ params.text }}"
              label: "{{ labels.team }}"
    """,
    )
    runtime = await make_runtime()
    hostile = "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {{ ''.__class__ }}"
    incident = await runtime.engine.trigger(
        "pb", {"text": hostile}, actor="test", context={"labels": {"team": "{{ 7*7 }}"}}
    )
    await wait_settled(runtime, incident.id)
    assert probe.calls[0].args == {
        "whole": hostile,
        "inside": f"said: {hostile}",
        "label": "{{ 7*7 }}",
    }


async def test_a_missing_variable_fails_the_step_with_a_clear_message(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Missing
        steps:
          - {id: reads, action: probe.record, with: {value: "{{ labels.region }}"}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert runs[0].status is RunStatus.FAILED
    assert "'{{ labels.region }}'" in (runs[0].error or "")
    assert "has no attribute 'region'" in (runs[0].error or "")


async def test_wait_until_status_wakes_on_acknowledge(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Wait
        steps:
          - {id: wait-ack, action: wait, with: {until: acknowledged, timeout: 1h}}
          - {id: after, action: probe.record}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    for _ in range(100):
        runs = await runtime.store.runs(incident.id)
        if runs[0].status is RunStatus.WAITING:
            break
        await asyncio.sleep(0.02)
    assert runs[0].status is RunStatus.WAITING
    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "alice")
    runs = await wait_settled(runtime, incident.id, timeout=3)
    assert statuses(runs) == [("wait-ack", 1, "succeeded"), ("after", 1, "succeeded")]
    assert runs[0].result is not None and runs[0].result["reached"] == "acknowledged"


async def test_an_ack_while_a_waiting_step_still_runs_wakes_its_wait(
    write_playbook, make_runtime, wait_settled
):
    """The race issue 7 found: the status changes after the step's attempt began but before
    it defers (an ack while pages go out). Nothing was waiting to be woken then, so the
    deferred run must be due at once rather than at its timeout an hour later."""
    from datetime import timedelta

    from surge.actions import ActionSpec, Defer
    from surge.plugin import hookimpl

    runtime_box: list[Any] = []

    async def pages_then_waits(ctx):
        if ctx.resume is not None:  # woken: what does it see now?
            return {"woke_on": ctx.incident.status.value}
        engine = runtime_box[0].engine  # someone acknowledges while the "pages" go out
        await engine.change_status(ctx.incident.id, IncidentStatus.ACKNOWLEDGED, "ann")
        return Defer(until=ctx.now + timedelta(hours=1), state={"paged": True}, wake_on_status=True)

    class Racy:
        name = "racy"

        @hookimpl
        def surge_register_actions(self):
            return [ActionSpec("racy.page", pages_then_waits)]

    write_playbook(
        "pb",
        """
        id: pb
        title: Race
        steps:
          - {id: page, action: racy.page}
    """,
    )
    runtime = await make_runtime(plugins=[Racy()])
    runtime_box.append(runtime)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id, timeout=5)
    assert statuses(runs) == [("page", 1, "succeeded")]
    assert runs[0].result == {"woke_on": "acknowledged"}


async def test_wait_until_times_out_into_the_fallback(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Timeout
        steps:
          - id: wait-ack
            action: wait
            with: {until: acknowledged, timeout: 150ms}
            on_failure: {fallback: escalate}
          - {id: skipped-by-fallback, action: probe.record}
          - {id: escalate, action: probe.record, when: incident.status == "triggered"}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("wait-ack", 1, "failed"), ("escalate", 1, "succeeded")]
    assert "timed out waiting" in (runs[0].error or "")


async def test_wait_for_a_duration(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Pause
        steps:
          - {id: pause, action: wait, with: {for: 300ms}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert runs[0].result is not None and runs[0].result["waited_s"] >= 0.3


async def test_resolve_skips_pending_steps_and_runs_on_resolve(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Resolve
        steps:
          - {id: long, action: wait, with: {for: 1h}}
          - {id: never, action: probe.record}
        on_resolve:
          - {action: probe.record, with: {value: "closing {{ incident.status }}"}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await asyncio.sleep(0.2)
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "alice", "fixed")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("long", 1, "skipped"), ("on_resolve-1", 1, "succeeded")]
    assert probe.calls[0].args == {"value": "closing resolved"}


async def test_lifecycle_transitions_are_checked(write_playbook, make_runtime):
    write_playbook(
        "pb",
        """
        id: pb
        title: Lifecycle
        steps: [{id: pause, action: wait, with: {for: 1h}}]
    """,
    )
    runtime = await make_runtime()
    engine = runtime.engine
    incident = await engine.trigger("pb", {}, actor="test")
    assert (
        await engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "a")
    ).status is IncidentStatus.ACKNOWLEDGED
    with pytest.raises(TransitionError, match="is acknowledged; it cannot be set to acknowledged"):
        await engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "a")
    await engine.change_status(incident.id, IncidentStatus.MITIGATED, "a")
    await engine.change_status(incident.id, IncidentStatus.RESOLVED, "a")
    with pytest.raises(TransitionError):
        await engine.change_status(incident.id, IncidentStatus.CANCELLED, "a")


async def test_set_status_action_moves_the_incident(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Self-resolving
        steps:
          - {id: done, action: set_status, with: {status: resolved, reason: all clear}}
          - {id: never, action: probe.record}
        on_resolve:
          - {action: log, with: {message: cleanup}}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("done", 1, "succeeded"), ("on_resolve-1", 1, "succeeded")]
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None and stored.status is IncidentStatus.RESOLVED


async def test_fifty_incidents_at_once_each_run_independently(
    write_playbook, make_runtime, probe, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Many
        params: {n: {type: int, required: true}}
        steps:
          - {id: one, action: probe.record, with: {value: "{{ params.n }}"}}
          - {id: pause, action: wait, with: {for: 200ms}}
          - {id: two, action: probe.record, with: {value: "{{ params.n }}"}}
    """,
    )
    runtime = await make_runtime()
    started = asyncio.get_running_loop().time()
    incidents = await asyncio.gather(
        *(runtime.engine.trigger("pb", {"n": n}, actor="test") for n in range(50))
    )
    for incident in incidents:
        runs = await wait_settled(runtime, incident.id, timeout=20)
        assert [run.status for run in runs] == [RunStatus.SUCCEEDED] * 3
    # the 200ms pauses overlap: fifty in sequence would take ten seconds
    assert asyncio.get_running_loop().time() - started < 8
    by_incident: dict[int, list[object]] = {}
    for call in probe.calls:
        by_incident.setdefault(call.incident, []).append(call.args["value"])
    assert sorted(by_incident.values()) == sorted([[n, n] for n in range(50)])


async def test_metrics_count_incidents_and_steps(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Metrics
        steps: [{id: one, action: probe.record}]
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    other = await runtime.engine.trigger("pb", {}, actor="api", source="api")
    await wait_settled(runtime, incident.id)
    await wait_settled(runtime, other.id)
    await runtime.engine.refresh_metrics()
    registry = runtime.engine.metrics.registry
    assert (
        registry.get_sample_value("surge_incidents_total", {"playbook": "pb", "trigger": "manual"})
        == 1.0
    )
    assert (
        registry.get_sample_value(
            "surge_steps_total", {"action": "probe.record", "outcome": "succeeded"}
        )
        == 2.0
    )
    assert (
        registry.get_sample_value("surge_step_duration_seconds_count", {"action": "probe.record"})
        == 2.0
    )
    assert (
        registry.get_sample_value("surge_incidents_total", {"playbook": "pb", "trigger": "api"})
        == 1.0
    )
    assert registry.get_sample_value("surge_open_incidents") == 2.0


async def test_cancelling_right_after_triggering_leaves_no_wait_parked(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Cancel at once
        steps:
          - {id: wait-ack, action: wait, with: {until: acknowledged, timeout: 1h}}
    """,
    )
    runtime = await make_runtime()
    for _ in range(20):  # the race is between the claim and the cancel; try it often
        incident = await runtime.engine.trigger("pb", {}, actor="test")
        await runtime.engine.change_status(incident.id, IncidentStatus.CANCELLED, "test")
        [run] = await wait_settled(runtime, incident.id, timeout=3)
        assert run.status is RunStatus.SKIPPED


async def test_plugin_events_arrive_in_order_per_incident_without_delaying_callers(
    write_playbook, make_runtime
):
    from surge.plugin import hookimpl

    events: list[str] = []

    class Slow:
        name = "slow"

        @hookimpl
        async def surge_incident_opened(self, incident):
            await asyncio.sleep(0.2)
            events.append("opened")

        @hookimpl
        async def surge_incident_status_changed(self, incident, previous, actor):
            events.append(f"{previous.value}->{incident.status.value}")

    write_playbook(
        "pb",
        """
        id: pb
        title: Events
        steps: [{id: pause, action: wait, with: {for: 1h}}]
    """,
    )
    runtime = await make_runtime(plugins=[Slow()])
    started = asyncio.get_running_loop().time()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "a")
    assert asyncio.get_running_loop().time() - started < 0.15
    await runtime.engine.events.drain()
    assert events == ["opened", "triggered->acknowledged"]


async def test_an_action_that_ignores_cancellation_is_still_cut_off(
    write_playbook, make_runtime, wait_settled
):
    from surge.actions import ActionSpec
    from surge.plugin import hookimpl

    release = asyncio.Event()

    async def stubborn(ctx):
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue  # a badly written plugin
        return {}

    async def own_timeout(ctx):
        raise TimeoutError("the far side timed out")

    class Bad:
        name = "bad"

        @hookimpl
        def surge_register_actions(self):
            return [ActionSpec("bad.stubborn", stubborn), ActionSpec("bad.own", own_timeout)]

    write_playbook(
        "pb",
        """
        id: pb
        title: Stubborn
        steps:
          - {id: stuck, action: bad.stubborn, timeout: 200ms, on_failure: continue}
          - {id: own, action: bad.own, on_failure: continue}
    """,
    )
    runtime = await make_runtime(plugins=[Bad()])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    try:
        runs = await wait_settled(runtime, incident.id, timeout=5)
    finally:
        release.set()
    assert [(run.step_id, run.error) for run in runs] == [
        ("stuck", "timed out after 200ms"),
        ("own", "TimeoutError: the far side timed out"),
    ]
