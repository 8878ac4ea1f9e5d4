"""``playbook.trigger``: one playbook starts another, linked both ways, never twice."""

from __future__ import annotations

from datetime import timedelta

from surge.store.records import Incident, IncidentStatus, RunStatus

OUTAGE = """
    id: outage
    title: Channel outage
    params:
      channel: {type: string, required: true}
    steps:
      - id: chain
        action: playbook.trigger
        with:
          playbook: complaints
          params: {topic: "outage of {{ params.channel }}", channel: "{{ params.channel }}"}
      - {id: after, action: log, with: {message: "started {{ steps.chain.result.incident }}"}}
"""
COMPLAINTS = """
    id: complaints
    title: Complaint surge
    params:
      topic: {type: string, required: true}
      channel: {type: string, default: ""}
    group_by: [channel]
    cooldown: 1h
    steps:
      - {id: hold, action: wait, with: {until: resolved, timeout: 1h}}
"""


async def _children(runtime) -> list[Incident]:
    every = await runtime.store.list_incidents()
    return [item for item in every if item.playbook_id == "complaints"]


async def test_a_step_opens_the_other_playbook_and_both_timelines_link(
    write_playbook, make_runtime, wait_settled
):
    write_playbook("outage", OUTAGE)
    write_playbook("complaints", COMPLAINTS)
    runtime = await make_runtime()
    # what came from outside is a value inside the template, never a template itself
    parent = await runtime.engine.trigger("outage", {"channel": "{{ 7 * 7 }}"}, actor="ann")
    runs = await wait_settled(runtime, parent.id)
    [child] = await _children(runtime)
    assert runs[0].result == {"playbook": "complaints", "outcome": "opened", "incident": child.id}
    assert child.params == {"topic": "outage of {{ 7 * 7 }}", "channel": "{{ 7 * 7 }}"}
    assert child.trigger == "playbook" and child.triggered_by == f"incident:{parent.id}"
    link = {"incident": parent.id, "playbook": "outage", "step": "chain"}
    assert child.context["parent"] == link
    opened = [e for e in await runtime.store.timeline(child.id) if e.kind == "incident.opened"]
    assert opened[0].data["parent"] == link
    mine = [e for e in await runtime.store.timeline(parent.id) if e.kind == "playbook.triggered"]
    assert [e.message for e in mine] == [f"chain: playbook complaints: opened incident {child.id}"]
    assert mine[0].data["child"]["incident"] == child.id
    assert runs[1].result is not None and runs[1].result["message"] == f"started {child.id}"


async def test_the_targets_group_and_cooldown_hold(write_playbook, make_runtime, wait_settled):
    write_playbook("outage", OUTAGE)
    write_playbook("complaints", COMPLAINTS)
    runtime = await make_runtime()
    first = await runtime.engine.trigger("outage", {"channel": "app"}, actor="ann")
    await wait_settled(runtime, first.id)
    second = await runtime.engine.trigger("outage", {"channel": "app"}, actor="bob")
    runs = await wait_settled(runtime, second.id)
    [child] = await _children(runtime)
    assert runs[0].result == {"playbook": "complaints", "outcome": "joined", "incident": child.id}
    joined = [e for e in await runtime.store.timeline(child.id) if e.kind == "playbook.joined"]
    assert joined[0].data["parent"]["incident"] == second.id
    await runtime.engine.change_status(child.id, IncidentStatus.RESOLVED, "ann")
    third = await runtime.engine.trigger("outage", {"channel": "app"}, actor="cy")
    runs = await wait_settled(runtime, third.id)
    assert runs[0].result == {"playbook": "complaints", "outcome": "cooldown", "incident": child.id}
    assert len(await _children(runtime)) == 1


async def test_a_rerun_after_a_kill_finds_the_incident_it_opened(
    write_playbook, make_runtime, wait_settled
):
    write_playbook("outage", OUTAGE)
    write_playbook("complaints", COMPLAINTS)
    runtime = await make_runtime(start=False)
    parent = await runtime.engine.trigger("outage", {"channel": "app"}, actor="ann")
    # an engine claims the step, opens the other incident, and dies before recording it
    now = runtime.engine.clock()
    [run] = await runtime.store.claim_due_runs("dead", now, now + timedelta(seconds=0.3), 10)
    assert await runtime.store.mark_run_started(run.id, "dead", {}, [])
    chains = runtime.engine.services.chains
    assert chains is not None
    params = {"topic": "outage of app", "channel": "app"}
    started = await chains.start(parent, "chain", run.idempotency_key, "complaints", params)
    assert started.outcome.value == "opened"
    # the child is closed before the re-run: still one start, not a second incident
    await runtime.engine.change_status(started.incident or 0, IncidentStatus.CANCELLED, "ann")
    await runtime.engine.start()
    runs = await wait_settled(runtime, parent.id)
    assert (runs[0].status, runs[0].attempt) == (RunStatus.SUCCEEDED, 1)
    assert runs[0].result == {
        "playbook": "complaints",
        "outcome": "duplicate",
        "incident": started.incident,
    }
    assert len(await _children(runtime)) == 1


async def test_params_that_do_not_fit_fail_the_step_for_good(
    write_playbook, make_runtime, wait_settled
):
    write_playbook("complaints", COMPLAINTS)
    write_playbook(
        "pb",
        """
        id: pb
        title: Bad params
        steps:
          - id: chain
            action: playbook.trigger
            with: {playbook: complaints, params: {topic: "{{ incident.id }}"}}
            retry: {attempts: 3, backoff: 10ms}
          - id: loose
            action: playbook.trigger
            with: {playbook: "{{ 'compl' ~ 'aints' }}", params: {}}
            on_failure: continue
          - id: nowhere
            action: playbook.trigger
            with: {playbook: "{{ 'nowhere' }}"}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="ann")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.step_id, run.attempt, run.status.value) for run in runs] == [
        ("chain", 1, "succeeded"),
        ("loose", 1, "failed"),
        ("nowhere", 1, "failed"),
    ]
    assert runs[1].error == "playbook 'complaints': param 'topic' is required"
    assert runs[2].error == "no playbook 'nowhere' is loaded"
