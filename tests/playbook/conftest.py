"""Shared fixtures for the playbook tests: action registries, templates, a file loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from surge.actions import ActionContext, ActionRegistry, ActionResult, ActionSpec, Arg
from surge.playbook import Playbook, load_playbook
from surge.plugin.manager import PluginManager
from surge.templating import Templates
from surge.yamlpos import YamlProblem

Load = Callable[[str], tuple[Playbook | None, list[YamlProblem]]]
Problems = Callable[[str], list[tuple[int, int, str]]]


async def _never_run(context: ActionContext) -> ActionResult:
    raise AssertionError("playbook tests only validate; no action runs")


def builtins() -> ActionRegistry:
    """surge's real built-in actions, registered by a fresh plugin manager."""
    registry = ActionRegistry()
    PluginManager(load_entry_points=False).register_actions(registry)
    return registry


def registry_for_tests() -> ActionRegistry:
    """The built-ins plus two test actions: one per argument type, one open."""
    registry = builtins()
    typed = {
        "text": Arg(),
        "count": Arg(type="int"),
        "ratio": Arg(type="float"),
        "flag": Arg(type="bool"),
        "delay": Arg(type="duration"),
        "fields": Arg(type="mapping"),
        "items": Arg(type="list"),
        "anything": Arg(type="any"),
        "colour": Arg(choices=("red", "green")),
    }
    registry.add(ActionSpec("test.typed", _never_run, args=typed), "tests")
    registry.add(
        ActionSpec("test.open", _never_run, args={"a": Arg()}, allow_extra_args=True), "tests"
    )
    return registry


@pytest.fixture
def actions() -> ActionRegistry:
    return registry_for_tests()


@pytest.fixture
def builtin_actions() -> ActionRegistry:
    return builtins()


@pytest.fixture
def templates() -> Templates:
    return Templates()


@pytest.fixture
def load(tmp_path: Path, actions: ActionRegistry, templates: Templates) -> Load:
    """Write the text to a real file, then load it the way the library does."""

    def load_text(text: str) -> tuple[Playbook | None, list[YamlProblem]]:
        path = tmp_path / "playbook.yaml"
        path.write_text(text, encoding="utf-8")
        return load_playbook(path.read_bytes(), str(path), actions, templates)

    return load_text


@pytest.fixture
def problems(load: Load) -> Problems:
    """``(line, col, message)`` for every problem in the text, in file order."""

    def find(text: str) -> list[tuple[int, int, str]]:
        playbook, found = load(text)
        assert found, "expected problems"
        assert playbook is None
        return [(problem.pos.line, problem.pos.col, problem.message) for problem in found]

    return find
