"""Reading every playbook field into the model, and every structural problem's position."""

from __future__ import annotations

import hashlib
from pathlib import Path
from textwrap import dedent
from typing import TYPE_CHECKING

import pytest

from surge.actions import ActionRegistry
from surge.playbook import (
    AlertTrigger,
    ManualTrigger,
    MetricTrigger,
    OnFailure,
    Param,
    Retry,
    load_playbook,
)
from surge.playbook.model import DEFAULT_MAX_OPEN
from surge.templating import Templates
from surge.triggers.matchers import Matcher, matches_all

if TYPE_CHECKING:
    from playbook.conftest import Load, Problems

FULL = dedent("""\
    id: system-outage
    title: Service channel outage
    kind: outage
    severity: critical
    description: Channels are down.
    params:
      channel: {type: enum, choices: [web-chat, hotline], required: true}
      eta: {type: duration, default: 1h}
      note: string
      shifts: {type: int, min: 1, max: 10, default: 2, description: extra shifts}
      tags: {type: list, items: int, default: [1, 2], max: 3}
    triggers:
      - manual: {roles: [responder, comms]}
      - alert:
          match: {alertname: ChannelDown}
          match_re: {channel: "web-.*"}
          matchers: ['env!="staging"', severity=~"critical|major"]
          params: {channel: "{{ labels.channel }}"}
          on_clear: note
      - metric:
          query: up == 0
          for: 2m
          clear: up == 1
          clear_for: 10m
          on_clear: mitigate
          params: {channel: "{{ labels.channel }}", note: "{{ value }}"}
    group_by: [channel]
    cooldown: 30m
    max_open: 5
    steps:
      - id: note
        action: log
        with: {message: "down: {{ params.channel }}"}
        timeout: 30s
        retry: {attempts: 3, backoff: 5s, max_backoff: 1m}
        on_failure: continue
      - action: wait
        with: {until: acknowledged, timeout: 15m}
        when: incident.status == "triggered"
        on_failure: {fallback: escalate}
      - id: escalate
        action: log
        with: {message: "{{ steps.note.status }}"}
        when: false
    on_resolve:
      - action: log
        with: {message: "{{ steps.escalate.result }}"}
        on_failure: abort
      - action: set_status
        with: {status: resolved}
""")


def test_every_field_is_read(load: Load) -> None:
    playbook, found = load(FULL)
    assert found == []
    assert playbook is not None
    assert (playbook.id, playbook.title, playbook.kind) == (
        "system-outage",
        "Service channel outage",
        "outage",
    )
    assert playbook.severity == "critical"
    assert playbook.description == "Channels are down."
    assert playbook.group_by == ("channel",)
    assert playbook.cooldown == 1800.0
    assert playbook.max_open == 5


def test_params_are_read(load: Load) -> None:
    playbook, _ = load(FULL)
    assert playbook is not None
    params = playbook.params
    assert params["channel"].type == "enum"
    assert params["channel"].choices == ("web-chat", "hotline")
    assert params["channel"].required is True
    assert params["eta"].default == "1h"
    assert params["note"] == Param("note", "string", pos=params["note"].pos)
    assert (params["shifts"].min, params["shifts"].max, params["shifts"].default) == (1, 10, 2)
    assert params["shifts"].description == "extra shifts"
    assert (params["tags"].item_type, params["tags"].default) == ("int", [1, 2])
    assert params["note"].pos is not None
    assert (params["note"].pos.line, params["note"].pos.col) == (9, 9)


def test_triggers_are_read(load: Load) -> None:
    playbook, _ = load(FULL)
    assert playbook is not None
    manual, alert, metric = playbook.triggers
    assert isinstance(manual, ManualTrigger)
    assert manual.roles == ("responder", "comms")
    assert manual.pos is not None and manual.pos.line == 13
    assert isinstance(alert, AlertTrigger)
    assert [str(matcher) for matcher in alert.matchers] == [
        'alertname="ChannelDown"',
        'channel=~"web-.*"',
        'env!="staging"',
        'severity=~"critical|major"',
    ]
    assert alert.params == {"channel": "{{ labels.channel }}"}
    assert alert.on_clear == "note"
    assert isinstance(metric, MetricTrigger)
    assert (metric.query, metric.for_, metric.clear, metric.clear_for) == (
        "up == 0",
        120.0,
        "up == 1",
        600.0,
    )
    assert metric.on_clear == "mitigate"
    assert playbook.manual_roles() == ("responder", "comms")


def test_steps_are_read(load: Load) -> None:
    playbook, _ = load(FULL)
    assert playbook is not None
    note, wait, escalate = playbook.steps
    assert note.id == "note"
    assert note.action == "log"
    assert note.with_ == {"message": "down: {{ params.channel }}"}
    assert note.timeout == 30.0
    assert note.retry == Retry(attempts=3, backoff=5.0, max_backoff=60.0)
    assert note.on_failure == OnFailure("continue")
    assert wait.id == "step-2"
    assert wait.when == 'incident.status == "triggered"'
    assert wait.on_failure == OnFailure("fallback", "escalate")
    assert wait.timeout is None
    assert escalate.when == "false"
    assert escalate.pos is not None and (escalate.pos.line, escalate.pos.col) == (41, 5)
    assert [step.id for step in playbook.on_resolve] == ["on_resolve-1", "on_resolve-2"]
    assert playbook.on_resolve[0].on_failure == OnFailure("abort")
    assert playbook.step_index("escalate") == 2


def test_defaults(load: Load) -> None:
    playbook, found = load("id: p\ntitle: P\nsteps:\n  - action: log\n    with: {message: hi}\n")
    assert found == []
    assert playbook is not None
    assert (playbook.kind, playbook.severity, playbook.description) == ("generic", "warning", "")
    assert (playbook.params, playbook.triggers, playbook.group_by) == ({}, (), ())
    assert (playbook.cooldown, playbook.on_resolve) == (0.0, ())
    step = playbook.steps[0]
    assert (step.id, step.when, step.timeout) == ("step-1", None, None)
    assert step.retry == Retry()
    assert step.on_failure == OnFailure("abort")


def test_manual_trigger_forms_default_to_responders(load: Load) -> None:
    text = dedent("""\
        id: p
        title: P
        triggers:
          - manual
          - manual:
          - manual: {}
        steps: [{action: log, with: {message: hi}}]
    """)
    playbook, found = load(text)
    assert found == []
    assert playbook is not None
    assert all(isinstance(trigger, ManualTrigger) for trigger in playbook.triggers)
    assert playbook.manual_roles() == ("responder",) * 3


def test_when_true_and_empty_with(load: Load) -> None:
    playbook, found = load(
        "id: p\ntitle: P\nsteps:\n  - action: test.open\n    with:\n    when: true\n"
    )
    assert found == []
    assert playbook is not None
    assert playbook.steps[0].with_ == {}
    assert playbook.steps[0].when == "true"


def test_source_and_content_hash(tmp_path: Path, actions: ActionRegistry) -> None:
    data = b"id: p\ntitle: P\nsteps: [{action: log, with: {message: hi}}]\n"
    playbook, found = load_playbook(data, "playbooks/p.yaml", actions, Templates())
    assert found == []
    assert playbook is not None
    assert playbook.source == "playbooks/p.yaml"
    assert playbook.content_hash == hashlib.sha256(data).hexdigest()
    from_text, _ = load_playbook(data.decode(), "p.yaml", actions, Templates())
    assert from_text is not None
    assert from_text.content_hash == playbook.content_hash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: P\nsteps: [{action: log, with: {message: x}}]\n", [(1, 1, "'id'")]),
        ("id: p\nsteps: [{action: log, with: {message: x}}]\n", [(1, 1, "'title'")]),
        ("id: p\ntitle: P\n", [(1, 1, "'steps'")]),
        ("- a\n", [(1, 1, "playbook must be a mapping")]),
        ("id: p\ntitle: P\nsteps: []\n", [(3, 8, "at least one step")]),
        ("id: p\ntitle: P\nsteps: {a: 1}\n", [(3, 8, "steps must be a list")]),
        ("id: Bad\ntitle: P\nsteps: [{action: log, with: {message: x}}]\n", [(1, 5, "lowercase")]),
        ("id: p\ntitle: ''\nsteps: [{action: log, with: {message: x}}]\n", [(2, 8, "title")]),
        (
            "id: p\ntitle: P\nkind: A B\nsteps: [{action: log, with: {message: x}}]\n",
            [(3, 7, "kind must be lowercase")],
        ),
        (
            "id: p\ntitle: P\nseverity: huge\nsteps: [{action: log, with: {message: x}}]\n",
            [(3, 11, "severity must be one of info, warning, major, critical")],
        ),
        (
            "id: p\ntitle: P\ndescription: [a]\nsteps: [{action: log, with: {message: x}}]\n",
            [(3, 14, "description must be a non-empty string")],
        ),
        (
            "id: p\ntitle: P\ncooldown: soon\nsteps: [{action: log, with: {message: x}}]\n",
            [(3, 11, "cooldown: expected a duration")],
        ),
        (
            "id: p\ntitle: P\nstep: []\nsteps: [{action: log, with: {message: x}}]\n",
            [(3, 1, "unknown key 'step' in playbook; did you mean 'steps'?")],
        ),
    ],
)
def test_top_level_problems(
    problems: Problems, text: str, expected: list[tuple[int, int, str]]
) -> None:
    found = problems(text)
    assert len(found) == len(expected), found
    for (line, col, message), (want_line, want_col, want) in zip(found, expected, strict=True):
        assert (line, col) == (want_line, want_col), message
        assert want in message


def test_yaml_syntax_and_duplicate_keys_come_with_positions(problems: Problems) -> None:
    assert problems("id: p\ntitle: [oops\n")[0][:2] == (3, 1)
    duplicate = problems("id: p\ntitle: P\nid: q\nsteps: [{action: log, with: {message: x}}]\n")
    assert duplicate == [(3, 1, "duplicate key 'id' (first at line 1)")]


def test_every_problem_is_reported_in_file_order(problems: Problems) -> None:
    text = dedent("""\
        id: p
        title: P
        severity: loud
        cooldown: never
        steps:
          - action: log
            with: {message: x}
            timeout: -1s
    """)
    found = problems(text)
    assert [(line, col) for line, col, _ in found] == [(3, 11), (4, 11), (8, 14)]


STEPS = "steps: [{action: log, with: {message: x}}]\n"


@pytest.mark.parametrize(
    ("triggers", "expected"),
    [
        ("  - manual: {roles: [root]}\n", (4, 22, "each role must be one of viewer, responder")),
        ("  - manual: {roles: []}\n", (4, 21, "at least one role")),
        ("  - manual: {role: [comms]}\n", (4, 14, "unknown key 'role' in manual trigger")),
        ("  - page: {}\n", (4, 5, "unknown key 'page' in trigger 1")),
        ("  - {}\n", (4, 5, "trigger 1 needs exactly one of: manual, alert, metric")),
        ("  - {manual: {}, alert: {}}\n", (4, 5, "trigger 1 needs exactly one of")),
        ("  - alert\n", (4, 5, "trigger 1 must be a mapping")),
        ("  - alert: {}\n", (4, 12, "an alert trigger needs at least one matcher")),
        ("  - alert: {match: {}}\n", (4, 12, "an alert trigger needs at least one matcher")),
        ("  - alert: {params: {}}\n", (4, 12, "an alert trigger needs at least one matcher")),
        ("  - alert: {match: [a]}\n", (4, 20, "match must be a mapping")),
        ("  - alert: {match: {a-b: x}}\n", (4, 21, "match: 'a-b' is not a label name")),
        ("  - alert: {match_re: {job: '(x'}}\n", (4, 29, "match_re.job: job=~'(x': not a valid")),
        ("  - alert: {match_re: {job: 'a{99999999999}'}}\n", (4, 29, "match_re.job: the regular")),
        ("  - alert: {matchers: x=1}\n", (4, 23, "matchers must be a list")),
        ("  - alert: {matchers: [x=1, '']}\n", (4, 29, "each entry of matchers must be a non")),
        ("  - alert: {matchers: [x=1, 'a b']}\n", (4, 29, "matchers: 'a b' is not a matcher")),
        ("  - alert: {matchers: ['a=~\"[\"']}\n", (4, 24, "matchers: a=~'[': not a valid")),
        ("  - alert: {match: {a: x}, on_clear: close}\n", (4, 38, "on_clear must be one of")),
        ("  - alert: {match: {a: x}, clear: up}\n", (4, 28, "unknown key 'clear' in alert")),
        ("  - metric: {for: 5m}\n", (4, 13, "metric trigger is missing required key 'query'")),
        ("  - metric: {query: up, for: later}\n", (4, 30, "for: expected a duration")),
        (
            "  - metric: {query: up, clear_for: 5m}\n",
            (4, 25, "clear_for: without `clear` the trigger never clears by itself: add a clear"),
        ),
        (
            "  - metric: {query: up, on_clear: note}\n",
            (4, 25, "on_clear: without `clear` the trigger never clears by itself"),
        ),
        (
            "  - metric: {query: up, clear: up, on_clear: close}\n",
            (4, 46, "on_clear must be one of"),
        ),
        ("  - metric: {query: ''}\n", (4, 21, "query must be a non-empty string")),
    ],
)
def test_trigger_problems(
    problems: Problems, triggers: str, expected: tuple[int, int, str]
) -> None:
    found = problems("id: p\ntitle: P\ntriggers:\n" + triggers + STEPS)
    assert len(found) == 1, found
    line, col, message = found[0]
    assert (line, col) == expected[:2], message
    assert expected[2] in message


def test_triggers_must_be_a_list(problems: Problems) -> None:
    assert problems("id: p\ntitle: P\ntriggers: {manual: {}}\n" + STEPS) == [
        (3, 11, "triggers must be a list, got a mapping")
    ]


def test_group_by_names_declared_params(problems: Problems) -> None:
    text = "id: p\ntitle: P\nparams: {region: string}\ngroup_by: [region, channel]\n" + STEPS
    assert problems(text) == [(4, 20, "group_by names 'channel', which is not a declared param")]


def test_alert_matchers_in_block_style_and_the_defaults(load: Load) -> None:
    text = dedent("""\
        id: p
        title: P
        triggers:
          - alert:
              matchers:
                - alertname = "Down"
                - env!=staging
        steps: [{action: log, with: {message: x}}]
    """)
    playbook, found = load(text)
    assert found == []
    assert playbook is not None
    [alert] = playbook.triggers
    assert isinstance(alert, AlertTrigger)
    assert alert.matchers == (
        Matcher.create("alertname", "=", "Down"),
        Matcher.create("env", "!=", "staging"),
    )
    assert alert.on_clear == "resolve"
    assert alert.params == {}
    assert matches_all(alert.matchers, {"alertname": "Down"})
    assert not matches_all(alert.matchers, {"alertname": "Down", "env": "staging"})
    assert playbook.max_open == DEFAULT_MAX_OPEN


def test_every_bad_matcher_is_reported_where_it_is_written(problems: Problems) -> None:
    text = dedent("""\
        id: p
        title: P
        triggers:
          - alert:
              match: {ok: "1", bad-label: x}
              match_re:
                job: "web-(.*"
              matchers:
                - alertname="Down"
                - severity=~"(crit"
                - "no operator"
        steps: [{action: log, with: {message: x}}]
    """)
    found = problems(text)
    assert [(line, col) for line, col, _ in found] == [(5, 24), (7, 14), (10, 11), (11, 11)]
    assert "'bad-label' is not a label name" in found[0][2]
    assert found[1][2].startswith("match_re.job: job=~'web-(.*': not a valid regular expression")
    assert found[2][2].startswith("matchers: severity=~'(crit': not a valid regular expression")
    assert found[3][2].startswith("matchers: 'no operator' is not a matcher")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "max_open must be at least 1, got 0"),
        ("-3", "max_open must be at least 1, got -3"),
        ("2.5", "max_open must be a whole number, got float 2.5"),
        ("true", "max_open must be a whole number, got a boolean (true)"),
        ("lots", "max_open must be a whole number, got the string 'lots'"),
    ],
)
def test_max_open_is_a_whole_number_of_at_least_one(
    problems: Problems, value: str, expected: str
) -> None:
    assert problems(f"id: p\ntitle: P\nmax_open: {value}\n" + STEPS) == [(3, 11, expected)]


def test_max_open_one_is_allowed(load: Load) -> None:
    playbook, found = load("id: p\ntitle: P\nmax_open: 1\n" + STEPS)
    assert found == []
    assert playbook is not None and playbook.max_open == 1


def test_components_are_templates_over_params_and_the_signal(load) -> None:
    playbook, problems = load(
        "id: pb\ntitle: T\nparams: {channel: string}\n"
        'components: ["{{ params.channel }}", "{{ labels.site }}", "{{ steps.x }}"]\n'
        "steps: [{action: log, with: {message: m}}]\n"
    )
    assert playbook is None
    assert [(p.pos.line, p.message) for p in problems] == [
        (
            4,
            "unknown name 'steps' in template; templates here can use params, labels, "
            "annotations, value",
        )
    ]
