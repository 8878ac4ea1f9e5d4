"""Every full example in docs/playbooks.md loads without a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surge.actions import ActionRegistry
from surge.playbook import load_playbook
from surge.templating import Templates

DOCS = Path(__file__).resolve().parents[2] / "docs" / "playbooks.md"
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n```yaml\n(?P<body>.*?)\n```", re.S)


def examples() -> list[tuple[str, str]]:
    return [(match["name"], match["body"] + "\n") for match in EXAMPLE.finditer(DOCS.read_text())]


def test_the_docs_have_examples() -> None:
    names = [name for name, _ in examples()]
    assert {"minimal", "system-outage", "traffic-peak", "complaint-surge"} <= set(names)
    assert len(names) == len(set(names))
    marked = DOCS.read_text().count("<!-- example:")
    assert marked == len(names), "every example comment must be followed by a yaml block"


@pytest.mark.parametrize(("name", "text"), examples())
def test_example_loads(
    name: str, text: str, builtin_actions: ActionRegistry, templates: Templates
) -> None:
    playbook, problems = load_playbook(
        text, f"docs/playbooks.md#{name}", builtin_actions, templates
    )
    assert [str(problem) for problem in problems] == []
    assert playbook is not None
