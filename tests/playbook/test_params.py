"""Turning raw params (CLI strings or API JSON) into typed values, with every problem."""

from __future__ import annotations

from typing import Any

import pytest

from surge.playbook import Param, ParamError, Playbook, coerce_params


def playbook(*params: Param) -> Playbook:
    return Playbook(id="p", title="P", params={param.name: param for param in params})


def coerce(param: Param, value: Any) -> Any:
    return coerce_params(playbook(param), {param.name: value})[param.name]


def problems(book: Playbook, raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ParamError) as caught:
        coerce_params(book, raw)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


@pytest.mark.parametrize(
    ("param", "raw", "expected"),
    [
        (Param("n", "int"), "3", 3),
        (Param("n", "int"), " -12 ", -12),
        (Param("n", "int"), 7, 7),
        (Param("n", "int"), 7.0, 7),
        (Param("n", "float"), "2.5", 2.5),
        (Param("n", "float"), 2, 2.0),
        (Param("n", "bool"), "true", True),
        (Param("n", "bool"), "Yes", True),
        (Param("n", "bool"), "no", False),
        (Param("n", "bool"), "false", False),
        (Param("n", "bool"), False, False),
        (Param("n", "string"), "hello", "hello"),
        (Param("n", "string"), 12, "12"),
        (Param("n", "duration"), "1h", "1h"),
        (Param("n", "duration"), "1h30m", "1h30m"),
        (Param("n", "duration"), 30, 30),
        (Param("n", "enum", choices=("a", "b")), "b", "b"),
        (Param("n", "list"), "a,b", ["a", "b"]),
        (Param("n", "list"), " a , b ", ["a", "b"]),
        (Param("n", "list"), "", []),
        (Param("n", "list"), '["x, y", "z"]', ["x, y", "z"]),
        (Param("n", "list", item_type="int"), "1,2", [1, 2]),
        (Param("n", "list", item_type="int"), [1, "2"], [1, 2]),
        (Param("n", "list", item_type="bool"), "yes,no", [True, False]),
        (Param("n", "int", min=1, max=3), "3", 3),
        (Param("n", "string", min=2), "ab", "ab"),
    ],
)
def test_values_are_coerced(param: Param, raw: Any, expected: Any) -> None:
    result = coerce(param, raw)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("param", "raw", "message"),
    [
        (Param("n", "int"), "3.5", "param 'n': expected a whole number, got '3.5'"),
        (Param("n", "int"), True, "expected a whole number, got True"),
        (Param("n", "int"), "1_000", "expected a whole number"),
        (Param("n", "float"), "nan", "expected a number, got 'nan'"),
        (Param("n", "float"), "inf", "expected a number"),
        (Param("n", "bool"), "maybe", "expected true or false (or yes/no), got 'maybe'"),
        (Param("n", "bool"), 1, "expected true or false"),
        (Param("n", "string"), ["a"], "expected text, got ['a']"),
        (Param("n", "duration"), "soon", "expected a duration such as 30s, 5m or 2h"),
        (Param("n", "duration"), True, "expected a duration"),
        (
            Param("n", "enum", choices=("web-chat", "hotline")),
            "webchat",
            "did you mean 'web-chat'?",
        ),
        (Param("n", "list"), {"a": 1}, "expected a list, got {'a': 1}"),
        (Param("n", "list"), "[1, 2", "expected a JSON list or a,b,c"),
        (Param("n", "list", item_type="int"), "1,x", "param 'n': item 2: expected a whole number"),
        (Param("n", "int", min=1), "0", "must be at least 1, got 0"),
        (Param("n", "float", max=1.5), 2, "must be at most 1.5, got 2.0"),
        (Param("n", "string", max=3), "abcd", "allows at most 3 characters, got 4"),
        (Param("n", "list", min=2), "a", "needs at least 2 items, got 1"),
    ],
)
def test_wrong_values_are_explained(param: Param, raw: Any, message: str) -> None:
    found = problems(playbook(param), {param.name: raw})
    assert len(found) == 1
    assert message in found[0]


def test_every_problem_is_listed() -> None:
    book = playbook(
        Param("channel", "enum", required=True, choices=("web", "app")),
        Param("count", "int"),
        Param("eta", "duration", required=True),
    )
    assert problems(book, {"chanel": "web", "count": "x", "zzz": 1}) == [
        "unknown param 'chanel'; did you mean 'channel'?",
        "unknown param 'zzz'; params: channel, count, eta",
        "param 'channel' is required",
        "param 'count': expected a whole number, got 'x'",
        "param 'eta' is required",
    ]


def test_unknown_param_when_none_are_declared() -> None:
    assert problems(playbook(), {"x": 1}) == ["unknown param 'x'"]


def test_defaults_fill_in_and_none_means_not_given() -> None:
    book = playbook(
        Param("eta", "duration", default="1h"),
        Param("tags", "list", default=["a"]),
        Param("note", "string"),
    )
    result = coerce_params(book, {"note": None})
    assert result == {"eta": "1h", "tags": ["a"], "note": None}
    result["tags"].append("b")
    assert book.params["tags"].default == ["a"], "a run must not change the playbook's default"


def test_values_are_data_never_templates() -> None:
    book = playbook(Param("note", "string"), Param("tags", "list"))
    result = coerce_params(book, {"note": "{{ 7*7 }}", "tags": "{{ 7*7 }},{% x %}"})
    assert result == {"note": "{{ 7*7 }}", "tags": ["{{ 7*7 }}", "{% x %}"]}
