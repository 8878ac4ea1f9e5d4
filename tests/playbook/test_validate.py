"""What a playbook means: actions, their arguments, and every template's syntax and names."""

from __future__ import annotations

from textwrap import dedent, indent
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playbook.conftest import Load, Problems

HEAD = "id: p\ntitle: P\nparams:\n  channel: string\n  count: int\n"  # 5 lines


def one_step(action: str) -> str:
    """A playbook whose one step starts on line 7; add its other fields after it."""
    return HEAD + f"steps:\n  - action: {action}\n"


def fields(text: str) -> str:
    """More fields for the step that ``one_step`` starts, written without their indent."""
    return indent(dedent(text), "    ")


def test_unknown_action_suggests_a_close_name(problems: Problems) -> None:
    found = problems(one_step("logg") + "    with: {message: hi}\n")
    assert found == [(7, 13, "unknown action 'logg'; did you mean 'log'?")]


def test_unknown_action_without_a_close_name_lists_the_known_ones(problems: Problems) -> None:
    found = problems(one_step("fax"))  # `page` is an action now: fax is not
    assert found[0][:2] == (7, 13)
    assert found[0][2].startswith("unknown action 'fax'; known: ")
    # the first twelve known names in order, then "…" (there are more actions than that)
    listed = found[0][2].removeprefix("unknown action 'fax'; known: ")
    assert listed.endswith(", …")
    names = listed.removesuffix(", …").split(", ")
    assert len(names) == 12 and names == sorted(names)
    assert {"channel.open", "command"} <= set(names)


@pytest.mark.parametrize(
    ("with_", "col", "message"),
    [
        ("{count: many}", 19, "argument 'count' of action 'test.typed': expected a whole number"),
        ("{count: true}", 19, "expected a whole number, got True"),
        ("{count: 1.5}", 19, "expected a whole number, got 1.5"),
        ("{ratio: x}", 19, "expected a number, got 'x'"),
        ("{flag: 'yes'}", 18, "expected true or false, got 'yes'"),
        ("{delay: soon}", 19, "expected a duration such as 30s, 5m or 2h, got 'soon'"),
        ("{delay: true}", 19, "expected a duration"),
        ("{fields: [a]}", 20, "expected a mapping, got ['a']"),
        ("{items: {a: 1}}", 19, "expected a list, got {'a': 1}"),
        ("{text: [a]}", 18, "expected text, got ['a']"),
        ("{text: }", 17, "expected text, got nothing"),
        ("{colour: blue}", 20, "'blue' is not one of red, green"),
        ("{colour: gren}", 20, "did you mean 'green'?"),
        (
            "{colours: red}",
            12,
            "action 'test.typed' takes no argument 'colours'; did you mean 'colour'?",
        ),
    ],
)
def test_argument_literals_are_checked(
    problems: Problems, with_: str, col: int, message: str
) -> None:
    text = one_step("test.typed") + f"    with: {with_}\n"
    found = problems(text)
    assert len(found) == 1, found
    assert found[0][:2] == (8, col), found
    assert message in found[0][2]


def test_good_literals_and_templates_pass(load: Load) -> None:
    text = one_step("test.typed") + fields("""\
            with:
              text: 8080
              count: "{{ params.count }}"
              ratio: 2
              flag: false
              delay: 1h30m
              fields: {a: "{{ params.channel }}"}
              items: ["{{ params.count }}", 2]
              anything: [1, {b: 2}]
              colour: "{% if params.count %}red{% else %}green{% endif %}"
    """)
    playbook, found = load(text)
    assert found == []
    assert playbook is not None
    assert playbook.steps[0].with_["delay"] == "1h30m"


def test_templated_values_skip_the_literal_checks(load: Load) -> None:
    text = one_step("test.typed") + '    with: {count: "{{ params.channel }}", flag: "{{ 1 }}"}\n'
    assert load(text)[1] == []


def test_missing_required_argument(problems: Problems) -> None:
    assert problems(one_step("log") + "    with: {level: info}\n") == [
        (8, 11, "action 'log' needs argument 'message' in with")
    ]
    assert problems(one_step("log")) == [(7, 13, "action 'log' needs argument 'message' in with")]
    assert problems(one_step("log") + "    with:\n") == [
        (7, 13, "action 'log' needs argument 'message' in with")
    ]


def test_extra_arguments_when_the_action_allows_them(load: Load) -> None:
    assert load(one_step("test.open") + "    with: {a: 1, b: 2, c: [3]}\n")[1] == []


def test_template_syntax_in_values_keys_and_nested(problems: Problems) -> None:
    text = one_step("test.open") + fields("""\
            with:
              a: "{{ params.channel"
              "{{ x }": 1
              deep: [{k: "{% if %}"}]
    """)
    found = problems(text)
    assert [(line, col) for line, col, _ in found] == [(9, 10), (10, 7), (11, 18)]
    assert all(message.startswith("template syntax: ") for _, _, message in found)


def test_template_syntax_in_a_block_scalar_points_at_its_line(problems: Problems) -> None:
    text = one_step("test.open") + fields("""\
            with:
              a: |
                first line
                second {{ params.count }}
                  third {{ oops
              b: ok
    """)
    assert problems(text) == [
        (12, 11, "template syntax: unexpected end of template, expected 'end of print statement'.")
    ]


def test_template_syntax_in_a_plain_multiline_string_uses_the_value_position(
    problems: Problems,
) -> None:
    text = one_step("test.open") + '    with:\n      a: "one\n        {{ two"\n'
    assert problems(text)[0][:2] == (9, 10)


def test_unknown_filter(problems: Problems) -> None:
    found = problems(one_step("test.open") + '    with: {a: "{{ params.channel | shout }}"}\n')
    assert found == [(8, 15, "unknown filter 'shout'; did you mean 'sort'?")]


def test_unknown_param_in_a_template(problems: Problems) -> None:
    found = problems(one_step("test.open") + '    with: {a: "{{ params.chanel }}"}\n')
    assert found == [(8, 15, "unknown param 'chanel'; did you mean 'channel'?")]


def test_unknown_name_in_a_template(problems: Problems) -> None:
    found = problems(one_step("test.open") + '    with: {a: "{{ param.channel }}"}\n')
    assert len(found) == 1
    assert found[0][:2] == (8, 15)
    assert found[0][2] == (
        "unknown name 'param' in template; did you mean 'params'?; templates here can use "
        "params, incident, steps, labels, annotations, now"
    )


def test_names_a_template_binds_itself_are_allowed(load: Load) -> None:
    text = one_step("test.open") + fields("""\
            with:
              a: "{% set n = params.count %}{{ n + 1 }}"
              b: "{% for s in [1, 2] %}{{ s }}{{ loop.index }}{% endfor %}"
              c: "{{ range(3) | list }} {{ incident.id }} {{ now }} {{ labels.x }}"
              d: "{{ annotations['summary'] }} {{ params['count'] }}"
    """)
    assert load(text)[1] == []


def test_steps_may_only_use_earlier_steps(problems: Problems) -> None:
    text = HEAD + dedent("""\
        steps:
          - id: first
            action: log
            with: {message: "{{ steps.first.result }} {{ steps.second.status }}"}
          - id: second
            action: log
            with: {message: "{{ steps['first'].result }}"}
            when: steps.third.status == "ok"
          - id: third
            action: log
            with: {message: "{{ steps.frist.result }}"}
    """)
    assert problems(text) == [
        (9, 21, "step 'first' has not run yet here; a template can only use earlier steps"),
        (9, 21, "step 'second' has not run yet here; a template can only use earlier steps"),
        (13, 11, "step 'third' has not run yet here; a template can only use earlier steps"),
        (16, 21, "unknown step 'frist'; did you mean 'first'?"),
    ]


def test_on_resolve_may_use_every_step_and_earlier_on_resolve_steps(problems: Problems) -> None:
    text = HEAD + dedent("""\
        steps:
          - id: last
            action: log
            with: {message: a}
        on_resolve:
          - id: close
            action: log
            with: {message: "{{ steps.last.result }} {{ steps.tidy.result }}"}
          - id: tidy
            action: log
            with: {message: "{{ steps.close.status }}"}
    """)
    assert problems(text) == [
        (13, 21, "step 'tidy' has not run yet here; a template can only use earlier steps")
    ]


def test_when_is_an_expression(problems: Problems) -> None:
    base = one_step("log") + "    with: {message: a}\n"
    assert problems(base + '    when: "{{ params.count > 1 }}"\n') == [
        (9, 11, "when is a Jinja expression: write it without {{ }} or {% %}")
    ]
    assert problems(base + "    when: params.count >\n")[0][:2] == (9, 11)
    assert problems(base + "    when: params.cont > 1\n") == [
        (9, 11, "unknown param 'cont'; did you mean 'count'?")
    ]
    assert problems(base + "    when: |\n      params.count > 1 and\n      (x\n")[0][:2] == (11, 7)


def test_trigger_params_templates_use_only_the_alert(problems: Problems) -> None:
    text = HEAD + dedent("""\
        triggers:
          - alert:
              match: {alertname: Down}
              params: {channel: "{{ labels.channel }}", count: "{{ params.count }}"}
          - metric:
              query: up == 0
              params:
                channel: "{{ annotations.x }}-{{ value }}"
                cont: "{{ incident.id }}"
                count: "{{ labels.n"
        steps: [{action: log, with: {message: a}}]
    """)
    found = problems(text)
    assert found[0] == (
        9,
        56,
        "unknown name 'params' in template; templates here can use labels, annotations, value",
    )
    assert found[1] == (14, 9, "unknown param 'cont'; did you mean 'count'?")
    assert found[2][:2] == (15, 16)
    assert found[2][2].startswith("template syntax:")
    assert len(found) == 3
