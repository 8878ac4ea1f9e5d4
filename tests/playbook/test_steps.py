"""Reading steps and on_resolve: ids, timeout, retry, on_failure, when."""

from __future__ import annotations

from textwrap import dedent
from typing import TYPE_CHECKING

import pytest

from surge.playbook import OnFailure

if TYPE_CHECKING:
    from playbook.conftest import Load, Problems

HEAD = "id: p\ntitle: P\n"


def step_problem(problems: Problems, step: str) -> tuple[int, int, str]:
    """The one problem of a playbook whose only step is ``step`` (written from line 4)."""
    found = problems(HEAD + "steps:\n" + step)
    assert len(found) == 1, found
    return found[0]


def test_default_ids_count_from_one_in_each_list(load: Load) -> None:
    text = dedent("""\
        id: p
        title: P
        steps:
          - action: log
            with: {message: a}
          - id: named
            action: log
            with: {message: b}
          - action: log
            with: {message: c}
        on_resolve:
          - action: log
            with: {message: d}
          - action: log
            with: {message: e}
    """)
    playbook, found = load(text)
    assert found == []
    assert playbook is not None
    assert [step.id for step in playbook.steps] == ["step-1", "named", "step-3"]
    assert [step.id for step in playbook.on_resolve] == ["on_resolve-1", "on_resolve-2"]


def test_ids_are_unique_across_both_lists(problems: Problems) -> None:
    text = dedent("""\
        id: p
        title: P
        steps:
          - id: tell
            action: log
            with: {message: a}
          - action: log
            with: {message: b}
        on_resolve:
          - id: tell
            action: log
            with: {message: c}
          - id: step-2
            action: log
            with: {message: d}
    """)
    assert problems(text) == [
        (10, 9, "duplicate step id 'tell' (first at line 4)"),
        (13, 9, "duplicate step id 'step-2' (first at line 7)"),
    ]


def test_a_default_id_can_clash_with_a_written_one(problems: Problems) -> None:
    text = HEAD + "steps:\n  - id: step-2\n    action: log\n    with: {message: a}\n"
    text += "  - action: log\n    with: {message: b}\n"
    assert problems(text) == [(7, 5, "duplicate step id 'step-2' (first at line 4)")]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("  - with: {message: a}\n", (4, 5, "step 1 is missing required key 'action'")),
        (
            "  - action: log\n    with: {message: a}\n    retries: 3\n",
            (6, 5, "did you mean 'retry'"),
        ),
        ("  - id: Tell Them\n    action: log\n    with: {message: a}\n", (4, 9, "id of step 1")),
        ("  - action: [log]\n", (4, 13, "action of step 1 must be a non-empty string")),
        ("  - action: log\n    with: [message]\n", (5, 11, "with of step 1 must be a mapping")),
        ("  - log\n", (4, 5, "step 1 must be a mapping")),
        ("  - action: log\n    with: {message: a}\n    when: [x]\n", (6, 11, "when of step 1")),
        ("  - action: log\n    with: {message: a}\n    timeout: 0\n", (6, 14, "longer than 0")),
        ("  - action: log\n    with: {message: a}\n    timeout: 5 mins\n", (6, 14, "duration")),
        (
            "  - action: log\n    with: {message: a}\n    retry: {attempts: 0}\n",
            (6, 23, "attempts in retry of step 1 must be at least 1, got 0"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    retry: {attempts: 2.5}\n",
            (6, 23, "must be a whole number"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    retry: {attempts: 2, backoff: x}\n",
            (6, 35, "backoff in retry of step 1"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    retry: {max_backoff: .inf}\n",
            (6, 26, "max_backoff in retry of step 1: a duration must be a finite, positive"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    retry: {tries: 2}\n",
            (6, 13, "unknown key 'tries' in retry of step 1"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    retry: 3\n",
            (6, 12, "retry of step 1 must be a mapping"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    on_failure: ignore\n",
            (6, 17, "on_failure of step 1 must be one of abort, continue; got 'ignore'"),
        ),
        (
            "  - action: log\n    with: {message: a}\n    on_failure: 3\n",
            (6, 17, "must be abort, continue or {fallback: STEP_ID}"),
        ),
    ],
)
def test_step_problems(problems: Problems, step: str, expected: tuple[int, int, str]) -> None:
    line, col, message = step_problem(problems, step)
    assert (line, col) == expected[:2], message
    assert expected[2] in message


def test_on_failure_mapping_needs_fallback(problems: Problems) -> None:
    text = HEAD + "steps:\n  - action: log\n    with: {message: a}\n    on_failure: {jump: x}\n"
    assert problems(text) == [
        (6, 17, "on_failure of step 1 is missing required key 'fallback'"),
        (6, 18, "unknown key 'jump' in on_failure of step 1; expected one of: fallback"),
    ]


def test_fallback_must_name_a_later_step(problems: Problems) -> None:
    text = dedent("""\
        id: p
        title: P
        steps:
          - id: first
            action: log
            with: {message: a}
          - id: second
            action: log
            with: {message: b}
            on_failure: {fallback: first}
          - action: log
            with: {message: c}
            on_failure: {fallback: step-3}
          - action: log
            with: {message: d}
            on_failure: {fallback: scond}
    """)
    assert problems(text) == [
        (10, 28, "fallback 'first' must be a later step: a fallback jumps forward"),
        (13, 28, "fallback 'step-3' must be a later step: a fallback jumps forward"),
        (16, 28, "unknown step 'scond'"),
    ]


def test_fallback_to_a_later_step(load: Load) -> None:
    text = HEAD + dedent("""\
        steps:
          - action: log
            with: {message: a}
            on_failure: {fallback: last}
          - action: log
            with: {message: b}
          - id: last
            action: log
            with: {message: c}
    """)
    playbook, found = load(text)
    assert found == []
    assert playbook is not None
    assert playbook.steps[0].on_failure == OnFailure("fallback", "last")


def test_on_resolve_steps_cannot_fall_back(problems: Problems) -> None:
    text = HEAD + dedent("""\
        steps:
          - id: later
            action: log
            with: {message: a}
        on_resolve:
          - action: log
            with: {message: b}
            on_failure: {fallback: later}
    """)
    assert problems(text) == [(10, 18, "on_resolve steps cannot use fallback")]


def test_on_resolve_problems_name_their_list(problems: Problems) -> None:
    text = HEAD + "steps: [{action: log, with: {message: a}}]\non_resolve:\n  - with: {}\n"
    assert problems(text) == [(5, 5, "on_resolve step 1 is missing required key 'action'")]
