"""Shared fixtures for the script tests: templates, a loader, and a sample script."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from surge.scripts.model import Script
from surge.scripts.parse import load_script
from surge.templating import Templates
from surge.yamlpos import YamlProblem

Load = Callable[[str], tuple[Script | None, list[YamlProblem]]]
Problems = Callable[[str], list[tuple[int, int, str]]]

SAMPLE = """
    id: notice
    title: Sample notice
    purpose: tests
    vars:
      service: {type: string, required: true}
      eta: {type: string, required: true}
      minutes: {type: int, default: 30}
      note: {type: string}
    locales:
      zh-CN: "{{ service }}故障，预计{{ eta }}恢复，约{{ minutes }}分钟。"
      zh-TW: "{{ service }}異常，預計{{ eta }}恢復，約{{ minutes }}分鐘。"
      en: "{{ service }} is down; back by {{ eta }}, in about {{ minutes }} minutes."
    rules:
      required: [eta]
      forbidden:
        "*": ["100%"]
        zh-CN: [保证, 绝对]
        zh-TW: [保證]
        en: [guarantee, "for sure"]
      promises: ["(退款|赔偿|refund|compensat\\\\w*)\\\\s*[0-9]+"]
      max_length: {push: 60}
"""


@pytest.fixture
def templates() -> Templates:
    return Templates()


@pytest.fixture
def load(templates: Templates) -> Load:
    def load_text(text: str) -> tuple[Script | None, list[YamlProblem]]:
        return load_script(textwrap.dedent(text), "s.yaml", templates)

    return load_text


@pytest.fixture
def problems(load: Load) -> Problems:
    """``(line, col, message)`` for every problem in the text, in file order."""

    def find(text: str) -> list[tuple[int, int, str]]:
        script, found = load(text)
        assert found, "expected problems"
        assert script is None
        return [(problem.pos.line, problem.pos.col, problem.message) for problem in found]

    return find


@pytest.fixture
def sample(load: Load) -> Script:
    script, found = load(SAMPLE)
    assert found == []
    assert script is not None
    return script
