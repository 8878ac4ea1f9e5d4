"""The ``log`` action: a note on the incident's timeline, written by the step."""

from __future__ import annotations

from surge.runtime import build_runtime


async def test_log_writes_a_note_as_the_step(write_playbook, make_runtime, wait_settled):
    write_playbook(
        "pb",
        """
        id: pb
        title: Log
        params: {channel: {type: string, default: web-chat}}
        steps:
          - {id: say, action: log, with: {message: "{{ params.channel }} is down"}}
          - id: warn
            action: log
            with: {message: "{{ params.channel }} still down", level: warning}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {"channel": "{{ 7*7 }}"}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.result for run in runs] == [
        {"message": "{{ 7*7 }} is down", "level": "info"},
        {"message": "{{ 7*7 }} still down", "level": "warning"},
    ]
    notes = [
        (entry.actor, entry.message, entry.data)
        for entry in await runtime.store.timeline(incident.id)
        if entry.kind == "note"
    ]
    assert notes == [
        ("step:say", "{{ 7*7 }} is down", {"level": "info"}),
        ("step:warn", "{{ 7*7 }} still down", {"level": "warning"}),
    ]


def test_log_needs_a_message_and_a_known_level(config, write_playbook):
    write_playbook(
        "pb",
        """
        id: pb
        title: Bad log
        steps:
          - {id: empty, action: log}
          - {id: loud, action: log, with: {message: hi, level: shouting}}
    """,
    )
    problems = [
        problem.message for problem in build_runtime(config, load_entry_points=False).problems
    ]
    assert any("needs argument 'message'" in problem for problem in problems), problems
    assert any("'level'" in problem and "info, warning, error" in problem for problem in problems)
