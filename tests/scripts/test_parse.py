"""Script files: every problem at its file:line:col, and a hash that ignores layout."""

from __future__ import annotations

import textwrap

from scripts.conftest import SAMPLE, Load, Problems

from surge.playbook.model import Param
from surge.scripts.model import Rules, Script


def test_the_sample_reads_into_the_model(sample: Script) -> None:
    assert sample.id == "notice"
    assert list(sample.locales) == ["zh-CN", "zh-TW", "en"]
    assert sample.vars["minutes"] == Param(
        "minutes", "int", default=30, pos=sample.vars["minutes"].pos
    )
    assert sample.rules == Rules(
        required=("eta",),
        forbidden={
            "*": ("100%",),
            "zh-CN": ("保证", "绝对"),
            "zh-TW": ("保證",),
            "en": ("guarantee", "for sure"),
        },
        promises=(r"(退款|赔偿|refund|compensat\w*)\s*[0-9]+",),
        max_length={"push": 60},
    )
    assert sample.rules.forbidden_in("zh-TW") == ("100%", "保證")
    assert sample.rules.count() == 1 + 6 + 1 + 1
    assert sample.source == "s.yaml"
    assert len(sample.content_hash) == 64


def test_a_minimal_script(load: Load) -> None:
    script, found = load("id: hi\ntitle: Hi\nlocales: {en: Hello.}\n")
    assert found == []
    assert script is not None
    assert (script.purpose, script.vars, script.rules) == ("", {}, Rules())


def test_every_problem_is_reported_with_its_position(problems: Problems) -> None:
    found = problems("""\
        id: Bad Id
        title: x
        colour: red
        vars:
          eta: {type: strng}
          9x: string
        locales:
          zh-CN: "{{ eta }} {{ bogus }}"
          fr: "x"
          en: "{{ eta "
        rules:
          required: [eta, nope]
          forbidden: {zh-CN: [保证], de: [x], en: x}
          promises: ["(refund", "ok"]
          max_length: {sms: 0, push: many}
          extra: 1
    """)
    expected = [
        (1, 5, "id must be lowercase letters, digits, - and _, starting with a letter"),
        (3, 1, "unknown key 'colour' in script; expected one of: id, title, purpose,"),
        (5, 15, "type of var 'eta' must be one of string, int, float, bool, duration,"),
        (6, 3, "var name '9x' must be letters, digits and _ (it is used as {{ 9x }})"),
        (8, 10, "the zh-CN wording uses {{ bogus }}, which is not a declared var"),
        (9, 3, "unknown locale 'fr'; known: zh-CN, zh-TW, en"),
        (10, 7, "the en wording: unexpected end of template"),
        (12, 19, "rules.required: unknown var 'nope'; known: eta"),
        (13, 28, "unknown locale 'de'; known: zh-CN, zh-TW, en, *"),
        (13, 41, "rules.forbidden.en must be a list, got the string 'x'"),
        (14, 14, "rules.promises: '(refund' is no regex: missing ), unterminated"),
        (15, 21, "rules.max_length.sms must be at least 1, got 0"),
        (15, 30, "rules.max_length.push must be a whole number, got the string 'many'"),
        (16, 3, "unknown key 'extra' in rules; expected one of: required, forbidden,"),
    ]
    assert [(line, col) for line, col, _ in found] == [(line, col) for line, col, _ in expected]
    for (_, _, message), (_, _, start) in zip(found, expected, strict=True):
        assert message.startswith(start), message


def test_required_keys_and_empty_locales(problems: Problems) -> None:
    assert problems("purpose: x\n") == [
        (1, 1, "script is missing required key 'id'"),
        (1, 1, "script is missing required key 'title'"),
        (1, 1, "script is missing required key 'locales'"),
    ]
    assert problems("id: a\ntitle: A\nlocales: {}\n") == [
        (3, 10, "locales needs at least one of zh-CN, zh-TW, en"),
    ]
    assert problems("- a list\n") == [(1, 1, "script must be a mapping (key: value), got a list")]


def test_a_required_fact_must_be_in_every_wording(problems: Problems) -> None:
    found = problems("""\
        id: a
        title: A
        vars: {eta: string}
        locales: {en: "Back by {{ eta }}.", zh-CN: "很快恢复。"}
        rules: {required: [eta]}
    """)
    assert found == [(5, 20, "rules.required names 'eta', but the zh-CN wording omits it")]


def test_template_problems_point_into_block_scalars(problems: Problems) -> None:
    text = """\
        id: a
        title: A
        vars: {eta: string}
        locales:
          en: |
            Back by {{ eta }}.
            Sorry, {{ who }}.
    """
    assert problems(text) == [(7, 5, "the en wording uses {{ who }}, which is not a declared var")]
    syntax = problems(text + "        {% if %}\n")
    assert [problem[:2] for problem in syntax] == [(8, 5)]
    assert syntax[0][2].startswith("the en wording: ")


def test_jinja_globals_and_loop_names_are_not_undeclared(load: Load) -> None:
    script, found = load("""\
        id: a
        title: A
        vars: {items: {type: list}}
        locales: {en: "{% for item in items %}{{ item }}{% endfor %} {{ range(2) | list }}"}
    """)
    assert found == []
    assert script is not None


def test_the_content_hash_ignores_layout_but_not_content(load: Load) -> None:
    def digest(text: str) -> str:
        script, found = load(text)
        assert found == [] and script is not None
        return script.content_hash

    base = digest(SAMPLE)
    relaid = "# a comment\n" + textwrap.dedent(SAMPLE).replace(
        'en: "{{ service }} is down; back by {{ eta }}, in about {{ minutes }} minutes."',
        "en: >-\n    {{ service }} is down; back by {{ eta }},\n"
        "    in about {{ minutes }} minutes.\n  # note",
    ).replace("title: Sample notice", "title:    'Sample notice'   # the title")
    assert digest(relaid) == base
    assert digest(SAMPLE.replace("back by", "back at")) != base
    assert digest(SAMPLE.replace("[保证, 绝对]", "[保证]")) != base
    assert digest(SAMPLE.replace("default: 30", "default: 31")) != base
