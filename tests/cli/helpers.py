"""Helpers shared by the CLI tests and their fixtures."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.serve import Server, free_port

__all__ = ["Cli", "Result", "Server", "free_port", "write_config"]

EXAMPLE = """
    id: example
    title: Example response
    severity: warning
    params:
      reason: {type: string, required: true}
      count: {type: int, default: 1, min: 1}
    triggers:
      - manual: {roles: [responder]}
    steps:
      - {id: announce, action: log, with: {message: "Triggered because: {{ params.reason }}"}}
      - {id: pause, action: wait, with: {for: 200ms}}
      - {id: done, action: log, with: {message: "Done after {{ params.count }}"}}
    on_resolve:
      - {id: closing, action: log, with: {message: "Resolved: {{ params.reason }}"}}
"""

HOLD = """
    id: hold
    title: Holds until acknowledged
    steps:
      - {id: hold, action: wait, with: {until: acknowledged, timeout: 1h}}
"""


def write_config(folder: Path, listen: str = "127.0.0.1:8080") -> Path:
    """A config with its own SQLite file and the example playbooks, under ``folder``."""
    playbooks = folder / "playbooks"
    playbooks.mkdir(parents=True, exist_ok=True)
    (playbooks / "example.yaml").write_text(textwrap.dedent(EXAMPLE), encoding="utf-8")
    (playbooks / "hold.yaml").write_text(textwrap.dedent(HOLD), encoding="utf-8")
    path = folder / "surge.yaml"
    path.write_text(
        f"store: sqlite:///{folder / 'surge.db'}\n"
        f"listen: {listen}\n"
        f"playbooks: {playbooks}\n"
        "engine: {lease: 2s, poll_interval: 50ms}\n",
        encoding="utf-8",
    )
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]
