"""The sandboxed templates: types kept, outside values inert, resource limits."""

from __future__ import annotations

import time

import pytest

from surge.templating import TemplateError, Templates


@pytest.fixture
def templates() -> Templates:
    return Templates()


def test_a_lone_expression_keeps_its_type_and_mixed_text_is_a_string(templates):
    context = {"params": {"n": 3, "tags": ["a", "b"]}}
    rendered = templates.render(
        {"n": "{{ params.n }}", "tags": "{{ params.tags }}", "text": "n={{ params.n }}"}, context
    )
    assert rendered == {"n": 3, "tags": ["a", "b"], "text": "n=3"}


def test_keys_are_rendered_too(templates):
    assert templates.render({"{{ params.c }}": "down"}, {"params": {"c": "web-chat"}}) == {
        "web-chat": "down"
    }


@pytest.mark.parametrize(
    "hostile",
    ["{{ 7*7 }}", "{% for x in range(3) %}{{ x }}{% endfor %}", "{{ ''.__class__.__mro__ }}"],
)
def test_values_from_outside_are_never_templates(templates, hostile):
    context = {"params": {"text": hostile}, "labels": {"team": hostile}}
    assert templates.render("{{ params.text }}", context) == hostile
    assert templates.render("[{{ labels.team }}]", context) == f"[{hostile}]"


def test_the_sandbox_refuses_internals(templates):
    with pytest.raises(TemplateError, match="unsafe"):
        templates.render("{{ params.__class__.__mro__ }}", {"params": {}})


def test_missing_variables_fail_with_the_template_named(templates):
    with pytest.raises(TemplateError, match=r"'\{\{ params.eta \}\}': .*has no attribute 'eta'"):
        templates.render("{{ params.eta }}", {"params": {}})
    with pytest.raises(TemplateError, match=r'when "steps\.page\.status'):
        templates.evaluate("steps.page.status == 'failed'", {"steps": {}})


@pytest.mark.parametrize("expression", ["'a' * 10**8", "2 ** 100000", "[0] * 10**6"])
def test_huge_results_are_refused_quickly_even_when_only_checked(templates, expression):
    started = time.perf_counter()
    assert templates.syntax_error(expression, expression=True) is None
    with pytest.raises(TemplateError, match=r"larger than|longer than"):
        templates.evaluate(expression, {})
    assert time.perf_counter() - started < 1.0


def test_references_name_context_roots_and_first_keys(templates):
    found = templates.references("{{ params.eta }} {{ steps['room'].result.url }} {{ now }}")
    assert {("params", "eta"), ("steps", "room"), ("now", None)} <= found
