"""Every hook is tested, documented and explained (after datasette's plugin-hook tests)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from surge.plugin import spec

ROOT = Path(__file__).resolve().parents[2]
HOOKS_TESTS = Path(__file__).with_name("test_hooks.py")
DOC = ROOT / "docs" / "plugins.md"
HOOKS = sorted(name for name, value in vars(spec).items() if hasattr(value, "surge_spec"))


def defined_tests(source: str) -> set[str]:
    tree = ast.parse(source)
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def untested(hooks: list[str], source: str) -> list[str]:
    """Hooks without a ``test_hook_<name>`` function in the module's source."""
    names = defined_tests(source)
    return [hook for hook in hooks if f"test_hook_{hook}" not in names]


def stale_tests(hooks: list[str], source: str) -> list[str]:
    """``test_hook_*`` functions that name no hook (a renamed or removed one)."""
    return sorted(
        name
        for name in defined_tests(source)
        if name.startswith("test_hook_")
        and not any(
            name == f"test_hook_{hook}" or name.startswith(f"test_hook_{hook}_") for hook in hooks
        )
    )


def headings(markdown: str) -> list[str]:
    without_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return [line.lstrip("#").strip() for line in without_code.splitlines() if line.startswith("#")]


def undocumented(hooks: list[str], markdown: str) -> list[str]:
    """Hooks with no heading that contains their name."""
    found = headings(markdown)
    return [hook for hook in hooks if not any(hook in heading for heading in found)]


def stale_headings(hooks: list[str], markdown: str) -> list[str]:
    """Headings that name a ``surge_*`` hook that does not exist."""
    named = {word for heading in headings(markdown) for word in re.findall(r"surge_\w+", heading)}
    return sorted(named - set(hooks))


def undocumented_arguments(function: object) -> list[str]:
    doc = inspect.getdoc(function) or ""
    problems = [] if doc else ["no docstring"]
    for name in inspect.signature(function).parameters:  # type: ignore[arg-type]
        if f":param {name}:" not in doc:
            problems.append(f"no :param {name}:")
    if ":return" not in doc:
        problems.append("no :return:")
    return problems


def test_the_specs_define_hooks():
    assert len(HOOKS) >= 6 and all(hook.startswith("surge_") for hook in HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    assert untested([hook], HOOKS_TESTS.read_text(encoding="utf-8")) == [], (
        f"tests/plugin/test_hooks.py has no test_hook_{hook}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_heading_in_the_docs(hook):
    assert undocumented([hook], DOC.read_text(encoding="utf-8")) == [], (
        f"docs/plugins.md has no heading naming {hook}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_documents_each_argument_and_the_return(hook):
    assert undocumented_arguments(getattr(spec, hook)) == []


def test_no_test_or_heading_names_a_hook_that_does_not_exist():
    assert stale_tests(HOOKS, HOOKS_TESTS.read_text(encoding="utf-8")) == []
    assert stale_headings(HOOKS, DOC.read_text(encoding="utf-8")) == []


# the checks themselves catch what they are for


def test_the_checks_catch_a_missing_test_a_missing_heading_and_a_stale_name():
    source = "def test_hook_surge_a(): pass\nasync def test_hook_surge_gone(): pass\n"
    assert untested(["surge_a", "surge_b"], source) == ["surge_b"]
    assert stale_tests(["surge_a", "surge_b"], source) == ["test_hook_surge_gone"]
    markdown = "# Plugins\n## surge_a\n```\n## surge_b\n```\n### surge_old\n"
    assert undocumented(["surge_a", "surge_b"], markdown) == ["surge_b"]
    assert stale_headings(["surge_a", "surge_b"], markdown) == ["surge_old"]


def test_the_checks_catch_an_undocumented_argument():
    def documented(incident: object, actor: str) -> None:
        """Called.

        :param incident: the incident.
        :param actor: who.
        :return: nothing.
        """

    def half(incident: object, actor: str) -> None:
        """Called.

        :param incident: the incident.
        """

    def bare(incident: object) -> None:
        pass

    assert undocumented_arguments(documented) == []
    assert undocumented_arguments(half) == ["no :param actor:", "no :return:"]
    assert undocumented_arguments(bare) == ["no docstring", "no :param incident:", "no :return:"]
