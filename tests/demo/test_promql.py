"""The PromQL subset the metrics simulator evaluates: PromQL's precedence and vector
matching for the operators the shipped playbooks' conditions use."""

from __future__ import annotations

import pytest

from surge.demo.promql import Unsupported, Vector, evaluate, labels, parse, squash

A = "sum by (topic) (rate(cs_complaints_total[10m]))"
B = "sum by (topic) (rate(cs_complaints_total[1h] offset 1w))"
WORLD: dict[str, Vector] = {
    squash(A): {
        labels({"topic": "late"}): 0.2,
        labels({"topic": "billing"}): 0.02,
        labels({"topic": "new"}): 0.1,
    },
    squash(B): {labels({"topic": "late"}): 0.01, labels({"topic": "billing"}): 0.02},
}
# the shipped complaint-surge's condition: the rate against three times last week's
SURGE = f"""
  {A}
    > 3 * ({B}
           or 0 * {A})
  and {A} > 0.05
"""


def run(expression: str) -> object:
    return evaluate(parse(expression, WORLD), WORLD.__getitem__)


def test_the_complaint_condition_fires_for_a_surge_and_a_new_topic_not_a_steady_one() -> None:
    assert run(SURGE) == {labels({"topic": "late"}): 0.2, labels({"topic": "new"}): 0.1}


def test_precedence_is_promqls() -> None:
    # * before >, > before and, and before or
    assert run(f"{A} > 2 * 0.05") == {labels({"topic": "late"}): 0.2}
    assert run(f"{A} > 0.15 or {B} < 0.015") == {labels({"topic": "late"}): 0.2}
    assert run(f"{B} < 0.015 or {A} > 0.15") == {labels({"topic": "late"}): 0.01}
    assert run("2 * 3 + 1") == 7


def test_vectors_match_one_to_one_on_their_labels() -> None:
    assert run(f"{A} - {B}") == pytest.approx(
        {labels({"topic": "late"}): 0.19, labels({"topic": "billing"}): 0.0}
    )
    assert run(f"{A} unless {B}") == {labels({"topic": "new"}): 0.1}


def test_whitespace_and_folding_do_not_matter() -> None:
    assert squash("sum by (topic)\n  ( rate(x[5m]) )") == squash("sum by (topic) (rate(x[5m]))")


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("up == 1", "no series for 'up == 1'"),
        (f"({A} > 1", "is not closed"),
        (f"{A} > 1 )", "cannot read ')'"),
    ],
)
def test_what_it_cannot_answer_it_says(expression: str, says: str) -> None:
    with pytest.raises(Unsupported, match=says.replace("(", r"\(").replace(")", r"\)")):
        run(expression)
