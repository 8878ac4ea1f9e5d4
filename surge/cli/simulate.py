"""``surge simulate PLAYBOOK --metrics FILE``: what a recording would have made surge do."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import out
from surge.config import load_config
from surge.triggers.simulate import RecordingError, Simulation, simulate


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "simulate",
        parents=[common],
        help="replay recorded metrics through a playbook's metric trigger; nothing is sent",
    )
    parser.add_argument("playbook")
    parser.add_argument(
        "--metrics",
        required=True,
        type=Path,
        metavar="FILE",
        help="CSV (time,expr,labels,value) or JSON (Prometheus range-query results by expr)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="evaluation interval (default: prometheus.interval, else 15)",
    )
    parser.add_argument(
        "--trigger",
        type=int,
        metavar="N",
        help="which trigger of the playbook (default: its first metric trigger)",
    )


async def command(args: argparse.Namespace) -> int:
    try:
        result = await simulate(
            load_config(args.config),
            args.playbook,
            args.metrics,
            interval=args.interval,
            trigger_index=args.trigger,
        )
    except RecordingError as error:
        raise CliError(str(error), 2) from None
    if args.json:
        render.print_json(as_json(result))
        return 0
    show(result)
    return 0


def as_json(result: Simulation) -> dict[str, Any]:
    return {
        "playbook": result.playbook.id,
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "interval": result.interval,
        "transitions": [
            {
                "at": t.at.isoformat(),
                "offset": (t.at - result.start).total_seconds(),
                "trigger": t.trigger,
                "series": t.series,
                "event": t.event,
                "incident": t.incident,
                "detail": t.detail,
            }
            for t in result.transitions
        ],
        "incidents": {
            str(incident): [
                {"step": step.id, "action": step.action, "when": step.when} for step in steps
            ]
            for incident, steps in result.incidents.items()
        },
    }


def show(result: Simulation) -> None:
    out.print(
        f"{result.playbook.id}: replayed {result.start:%Y-%m-%d %H:%M:%S} to "
        f"{result.end:%H:%M:%S} UTC every {result.interval:g}s; nothing was sent",
        markup=False,
    )
    table = render.table("AT", "+", "SERIES", "EVENT", "INCIDENT", "DETAIL")
    for t in result.transitions:
        offset = int((t.at - result.start).total_seconds())
        table.add_row(
            f"{t.at:%H:%M:%S}",
            f"{offset // 60}m{offset % 60:02d}s",
            t.series,
            render.status(t.event),
            str(t.incident or ""),
            t.detail,
        )
    out.print(table if result.transitions else "no trigger fired, cleared or went unknown")
    for incident, steps in result.incidents.items():
        plan = ", ".join(
            f"{step.id} ({step.action}{', when ' + step.when if step.when else ''})"
            for step in steps
        )
        out.print(f"incident {incident} would run: {plan}", markup=False)
