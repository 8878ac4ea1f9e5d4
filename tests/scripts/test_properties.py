"""No input crashes load_script, and every problem it reports has a real position."""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surge.scripts.parse import load_script
from surge.templating import Templates

SETTINGS = settings(
    max_examples=3000 if os.environ.get("SURGE_SOAK") else 150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TEMPLATES = Templates()  # holds no state between examples

VALID: dict[str, Any] = yaml.safe_load("""
id: outage-initial
title: Outage
purpose: first notice
vars:
  service: {type: string, required: true, description: what is down}
  eta: {type: duration, default: 1h}
  level: {type: enum, choices: [low, high], default: low}
  regions: {type: list, items: string, default: [north]}
locales:
  zh-CN: "{{ service }}故障，预计{{ eta }}恢复。"
  zh-TW: "{{ service }}異常，預計{{ eta }}恢復。"
  en: "{% if level == 'high' %}Major: {% endif %}{{ service }} back in {{ eta }}."
rules:
  required: [service, eta]
  forbidden: {"*": ["100%"], zh-CN: [保证], zh-TW: [保證], en: [guarantee]}
  promises: ["(退款|refund)\\\\s*[0-9]+"]
  max_length: {sms: 70, push: 200}
""")

WORDS = st.sampled_from(
    [
        "id", "title", "purpose", "vars", "locales", "rules", "required", "forbidden",
        "promises", "max_length", "zh-CN", "zh-TW", "en", "fr", "*", "sms", "type", "enum",
        "choices", "default", "{{ service }}", "{{", "{% if %}", "{{ nope }}", "((", "(",
        "[", "a\\nb {{ c", "service", "eta", "保证", "100%", "string", "list", "int",
    ]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    WORDS,
)
KEYS = st.one_of(WORDS, st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=20,
)


def check(text: str | bytes) -> None:
    script, problems = load_script(text, "fuzz.yaml", TEMPLATES)
    assert (script is None) == bool(problems)
    for problem in problems:
        assert problem.pos.file == "fuzz.yaml"
        assert problem.pos.line >= 1, problem
        assert problem.pos.col >= 1, problem
        assert problem.message, problem


def test_the_base_script_is_valid() -> None:
    script, problems = load_script(yaml.safe_dump(VALID, allow_unicode=True), "ok.yaml", TEMPLATES)
    assert problems == []
    assert script is not None


@SETTINGS
@given(VALUES)
def test_any_yaml_document(value: Any) -> None:
    check(yaml.safe_dump(value))


@SETTINGS
@given(st.dictionaries(st.sampled_from(sorted(VALID)), VALUES, max_size=6))
def test_script_shaped_documents(value: dict[str, Any]) -> None:
    check(yaml.safe_dump(value))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        items = ()
    for key, child in items:
        found.extend(_paths(child, (*prefix, key)))
    return found


PATHS = _paths(VALID)[1:]


@SETTINGS
@given(st.sampled_from(PATHS), VALUES, st.booleans())
def test_a_valid_script_with_one_value_changed(
    path: tuple[Any, ...], replacement: Any, delete: bool
) -> None:
    document = copy.deepcopy(VALID)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    check(yaml.safe_dump(document, allow_unicode=True))


@SETTINGS
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_arbitrary_bytes_and_text(data: bytes | str) -> None:
    check(data)
