"""Tables for people (rich handles CJK widths) and JSON for scripts."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# soft_wrap: a message stays one line however narrow the terminal or pipe; tables still
# fit the width
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

STATUS_STYLE = {
    "triggered": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
    "cancelled": "dim",
    "succeeded": "green",
    "failed": "red",
    "running": "bold yellow",
    "waiting": "yellow",
    "pending": "dim",
    "skipped": "dim",
    "unknown": "bold magenta",
}


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def status(value: str) -> Text:
    return Text(value, style=STATUS_STYLE.get(value, ""))


def when(value: str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone()
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


def table(*columns: str, title: str | None = None) -> Table:
    result = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    return result


def incidents_table(incidents: list[dict[str, Any]]) -> Table:
    result = table("ID", "STATUS", "PLAYBOOK", "SEVERITY", "OPENED", "BY", "TITLE")
    for item in incidents:
        result.add_row(
            str(item["id"]),
            status(item["status"]),
            item["playbook"],
            item["severity"],
            when(item["created_at"]),
            item["triggered_by"],
            item["title"],
        )
    return result


def steps_table(steps: list[dict[str, Any]]) -> Table:
    result = table(
        "STEP", "ACTION", "TRY", "STATUS", "STARTED", "FINISHED", "OUTCOME", title="Steps"
    )
    for run in steps:
        outcome = run["error"] or short(run["result"])
        name = run["step"] if run["phase"] == "steps" else f"{run['step']} (on_resolve)"
        result.add_row(
            name,
            run["action"],
            str(run["attempt"]),
            status(run["status"]),
            when(run["started_at"]),
            when(run["finished_at"]),
            outcome,
        )
    return result


def timeline_line(entry: dict[str, Any]) -> Text:
    line = Text(f"{when(entry['at'])}  ", style="dim")
    line.append(f"{entry['actor']:<10} ", style="cyan")
    style = "red" if entry["kind"] in ("step.failed", "step.unknown", "plugin.error") else ""
    line.append(entry["message"], style=style)
    return line


def short(value: Any, limit: int = 60) -> str:
    if value in (None, {}, []):
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
