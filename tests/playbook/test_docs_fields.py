"""docs/playbooks.md names every field a playbook may have and every built-in action, and
docs/plugins.md has a section on each built-in action: a new one fails here until it is
documented."""

from __future__ import annotations

import re
from pathlib import Path

from surge.actions import ActionRegistry
from surge.playbook.parse import TOP_KEYS
from surge.playbook.steps import STEP_KEYS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_playbook_field_is_in_the_docs() -> None:
    text = (DOCS / "playbooks.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    assert set(TOP_KEYS) <= rows, set(TOP_KEYS) - rows
    assert set(STEP_KEYS) <= rows, set(STEP_KEYS) - rows
    assert {"locale", "departments"} <= rows  # report's keys


def test_every_built_in_action_is_in_the_docs(builtin_actions: ActionRegistry) -> None:
    playbooks = (DOCS / "playbooks.md").read_text(encoding="utf-8")
    headings = "\n".join(re.findall(r"^### .*$", (DOCS / "plugins.md").read_text(), re.M))
    for name in builtin_actions.names():
        assert f"`{name}`" in playbooks, f"docs/playbooks.md does not name {name}"
        assert re.search(rf"[ ,]{re.escape(name)}(,|$)", headings, re.M), name
