"""``surge rota who``: who is on shift now or at a given time."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import out
from surge.config import Config, load_config
from surge.rota.model import Rota
from surge.rota.oncall import report
from surge.rota.parse import load_rota_file
from surge.triggers.windows import read_time

if TYPE_CHECKING:
    from surge.runtime import Runtime


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    rota = sub.add_parser("rota", help="the on-call rota: who is on shift")
    actions = rota.add_subparsers(dest="rota_command", required=True, metavar="ACTION")
    who = actions.add_parser("who", parents=[common], help="who is on shift (now, or --at)")
    who.add_argument(
        "--at",
        metavar="TIME",
        help="an ISO 8601 time, e.g. 2030-03-31T01:30 (in the rota's time zone) or "
        "2030-03-31T00:30Z (default: now)",
    )
    who.add_argument("--team", metavar="TEAM", help="only this team")


def load(config_path: str | None) -> Rota:
    config = load_config(config_path)
    if config.rota is None:
        raise CliError("no rota is configured: set `rota: config/rota.yaml` in the config", 2)
    rota, problems = load_rota_file(config.rota)
    if rota is None:
        raise CliError(f"the rota {config.rota} has problems", 1, [str(p) for p in problems])
    return rota


async def command(args: argparse.Namespace) -> int:
    rota = load(args.config)
    try:
        at = read_time(args.at, rota.zone) if args.at else datetime.now(UTC)
        data = report(rota, at, args.team)
    except ValueError as error:
        raise CliError(str(error), 2) from None
    if args.json:
        render.print_json(data)
        return 0
    team = f" ({data['team']})" if data["team"] else ""
    out.print(f"on shift at {data['local']} {rota.timezone}{team}:", markup=False)
    columns = ["PERSON", "NAME", *([] if args.team else ["TEAM"]), "SHIFT", "FROM", "UNTIL"]
    table = render.table(*columns, "NOTE")
    for entry in data["oncall"]:  # type: ignore[attr-defined]
        team_cell = [] if args.team else [entry["team"]]
        start, end = _clock(entry["starts_at"]), _clock(entry["ends_at"])
        table.add_row(
            entry["person"], entry["name"], *team_cell, entry["shift"], start, end, entry["note"]
        )
    out.print(table if data["oncall"] else "  nobody")
    standby = ", ".join(data["standby"]) or "nobody"  # type: ignore[arg-type]
    out.print(f"standby free: {standby}", markup=False)
    return 0


def _clock(text: str) -> str:
    """``03-31 08:00``: the rota's local time (``--json`` has the offsets)."""
    return datetime.fromisoformat(text).strftime("%m-%d %H:%M")


def paging_problems(runtime: Runtime, config: Config, path: Path) -> list[str]:
    """The rota, the pagers' options, the rota's contact methods, and the escalation
    policies that page steps name."""
    from surge.paging.setup import configure_pagers, load_rota, rota_problems

    rota, found = load_rota(config)
    pagers, pager_found = configure_pagers(config, runtime.plugins.pager_types())
    problems = [str(problem) for problem in (*found, *pager_found)]
    if rota is not None:
        problems.extend(str(problem) for problem in rota_problems(rota, pagers, config))
    for playbook in runtime.playbooks.all():
        for step in (*playbook.steps, *playbook.on_resolve):
            policy = step.with_.get("policy") if step.action == "page" else None
            if not isinstance(policy, str) or "{" in policy:
                continue
            if rota is None:
                problems.append(f"{step.pos}: page needs a rota: set `rota:` in {path}")
            elif policy not in rota.policies:
                known = ", ".join(sorted(rota.policies)) or "none"
                problems.append(
                    f"{step.pos}: no escalation policy {policy!r} in {rota.source} (known: {known})"
                )
    return problems
