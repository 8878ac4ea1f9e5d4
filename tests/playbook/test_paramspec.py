"""The params section: types, bounds, choices, items and defaults, with positions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playbook.conftest import Load, Problems

HEAD = "id: p\ntitle: P\nparams:\n"
TAIL = "steps: [{action: log, with: {message: x}}]\n"


@pytest.mark.parametrize(
    ("param", "expected_type", "default"),
    [
        ("n: int", "int", None),
        ("n: {type: int, default: 3}", "int", 3),
        ("n: {type: float, default: 2}", "float", 2.0),
        ("n: {type: bool, default: no}", "bool", False),
        ("n: {type: duration, default: 1h30m}", "duration", "1h30m"),
        ("n: {type: duration, default: 90}", "duration", 90),
        ("n: {type: enum, choices: [a, b], default: b}", "enum", "b"),
        ("n: {type: list, default: a}", "list", ["a"]),
        ("n: {type: list, items: float, default: [1, 2.5]}", "list", [1.0, 2.5]),
        ("n: {type: string, default: 42}", "string", "42"),
        ("n: {default: x}", "string", "x"),
    ],
)
def test_param_declarations(load: Load, param: str, expected_type: str, default: object) -> None:
    playbook, found = load(HEAD + "  " + param + "\n" + TAIL)
    assert found == []
    assert playbook is not None
    assert playbook.params["n"].type == expected_type
    assert playbook.params["n"].default == default


@pytest.mark.parametrize(
    ("param", "col", "message"),
    [
        ("n: integer", 6, "type of param 'n' must be one of string, int, float, bool"),
        ("n: enum", 6, "param 'n': an enum needs choices"),
        ("n: {type: enum}", 6, "param 'n' is an enum, so it needs choices"),
        ("n: {type: enum, choices: []}", 28, "param 'n' needs at least one choice"),
        ("n: {type: string, choices: [a]}", 30, "choices applies only to type enum"),
        ("n: {type: int, items: int}", 25, "items applies only to type list"),
        ("n: {type: list, items: enum}", 26, "items of param 'n' must be one of"),
        ("n: {type: bool, min: 1}", 24, "min applies only to types int, float, string, list"),
        ("n: {type: string, min: -1}", 26, "is a length, so a whole number of at least 0"),
        ("n: {type: list, max: 1.5}", 24, "is a length"),
        ("n: {type: int, min: a}", 23, "min of param 'n' must be a number"),
        ("n: {type: int, min: 5, max: 1}", 31, "max is below min"),
        ("n: {type: int, min: .nan}", 23, "must be a finite number"),
        ("n: {type: int, required: maybe}", 28, "required of param 'n' must be true or false"),
        ("n: {type: int, description: [x]}", 31, "description of param 'n'"),
        ("n: {type: int, optional: true}", 18, "unknown key 'optional' in param 'n'"),
        (
            "n: {type: int, default: x}",
            27,
            "default of param 'n': expected a whole number, got 'x'",
        ),
        ("n: {type: int, max: 3, default: 4}", 35, "default of param 'n': must be at most 3"),
        ("n: {type: enum, choices: [a], default: c}", 42, "'c' is not one of a"),
        ("n: {type: string, max: 2, default: abc}", 38, "allows at most 2 characters, got 3"),
        ("n: {type: list, items: int, default: [1, x]}", 40, "item 2: expected a whole number"),
        ("n: {type: duration, default: soon}", 32, "expected a duration such as 30s"),
        ("n: {type: int, required: true, default: 1}", 43, "cannot have a default"),
        ("n-dash: string", 3, "param name 'n-dash' must be letters, digits and _"),
        ("n: [int]", 6, "param 'n' must be a mapping"),
    ],
)
def test_param_problems(problems: Problems, param: str, col: int, message: str) -> None:
    found = problems(HEAD + "  " + param + "\n" + TAIL)
    assert len(found) == 1, found
    assert found[0][:2] == (4, col), found
    assert message in found[0][2]


def test_params_must_be_a_mapping(problems: Problems) -> None:
    assert problems("id: p\ntitle: P\nparams: [a]\n" + TAIL) == [
        (3, 9, "params must be a mapping (key: value), got a list")
    ]


def test_a_broken_param_is_still_known_to_templates(problems: Problems) -> None:
    steps = "steps: [{action: log, with: {message: '{{ params.n }}'}}]\n"
    text = HEAD + "  n: {type: int, default: x}\n" + steps
    assert [(line, col) for line, col, _ in problems(text)] == [(4, 27)]
