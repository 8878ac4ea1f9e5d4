"""No input crashes load_playbook, and every problem it reports has a real position."""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surge.actions import ActionRegistry
from surge.playbook import load_playbook
from surge.templating import Templates

# The registry and templates fixtures hold no state between examples, so sharing one
# instance across them is fine. SURGE_SOAK=1 runs ten times as many examples.
SETTINGS = settings(
    max_examples=3000 if os.environ.get("SURGE_SOAK") else 300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

VALID: dict[str, Any] = yaml.safe_load("""
id: outage
title: Outage
kind: outage
severity: major
params:
  channel: {type: enum, choices: [web, app], required: true}
  eta: {type: duration, default: 1h}
  count: {type: int, min: 1, max: 9, default: 2}
  tags: {type: list, items: int, default: [1]}
  note: string
triggers:
  - manual: {roles: [responder]}
  - alert:
      match: {alertname: Down}
      match_re: {job: "web.*"}
      matchers: ['env!="staging"', 'severity=~"critical|major"']
      params: {channel: "{{ labels.c }}"}
      on_clear: mitigate
  - metric: {query: up == 0, for: 1m, clear: up == 1, clear_for: 5m, on_clear: note}
group_by: [channel]
cooldown: 10m
max_open: 3
steps:
  - id: tell
    action: log
    with: {message: "{{ params.channel }} {{ incident.id }}"}
    when: params.count > 1
    timeout: 30s
    retry: {attempts: 2, backoff: 1s, max_backoff: 10s}
    on_failure: {fallback: last}
  - action: wait
    with: {for: 5m}
    on_failure: continue
  - id: last
    action: set_status
    with: {status: resolved}
on_resolve:
  - action: log
    with: {message: "{{ steps.tell.result }}"}
""")

WORDS = st.sampled_from(
    [
        "id", "title", "steps", "action", "with", "when", "log", "wait", "params", "type",
        "int", "enum", "list", "fallback", "abort", "continue", "5m", "1h30m", "-1s", "",
        "{{ params.x }}", "{{", "{% if %}", "{{ steps.tell.result }}", "labels.x", "((",
        "a\nb {{ c", "manual", "alert", "metric", "query", "roles", "match_re", "(",
        "match", "matchers", "on_clear", "max_open", "clear", 'a=~"("', "a=b", "note",
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


def check(text: str | bytes, actions: ActionRegistry, templates: Templates) -> None:
    playbook, problems = load_playbook(text, "fuzz.yaml", actions, templates)
    assert (playbook is None) == bool(problems)
    for problem in problems:
        assert problem.pos.file == "fuzz.yaml"
        assert problem.pos.line >= 1, problem
        assert problem.pos.col >= 1, problem
        assert problem.message, problem


def test_the_base_playbook_is_valid(actions: ActionRegistry, templates: Templates) -> None:
    playbook, problems = load_playbook(yaml.safe_dump(VALID), "ok.yaml", actions, templates)
    assert problems == []
    assert playbook is not None


@SETTINGS
@given(VALUES)
def test_any_yaml_document(actions: ActionRegistry, templates: Templates, value: Any) -> None:
    check(yaml.safe_dump(value), actions, templates)


@SETTINGS
@given(st.dictionaries(st.sampled_from(sorted(VALID)), VALUES, max_size=8))
def test_playbook_shaped_documents(
    actions: ActionRegistry, templates: Templates, value: dict[str, Any]
) -> None:
    check(yaml.safe_dump(value), actions, templates)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found.extend(_paths(child, (*prefix, key)))
    return found


PATHS = _paths(VALID)[1:]


@SETTINGS
@given(st.sampled_from(PATHS), VALUES, st.booleans())
def test_a_valid_playbook_with_one_value_changed(
    actions: ActionRegistry,
    templates: Templates,
    path: tuple[Any, ...],
    replacement: Any,
    delete: bool,
) -> None:
    document = copy.deepcopy(VALID)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    check(yaml.safe_dump(document), actions, templates)


@SETTINGS
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_arbitrary_bytes_and_text(
    actions: ActionRegistry, templates: Templates, data: bytes | str
) -> None:
    check(data, actions, templates)
