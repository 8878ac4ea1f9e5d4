"""``surge staffing``: how many agents a contact rate needs (Erlang C, or Erlang A)."""

from __future__ import annotations

import argparse
from typing import Any

from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import out
from surge.durations import DurationError, parse_duration
from surge.staffing.plan import Demand, Plan, parse_rate, parse_target, plan


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    staffing = sub.add_parser(
        "staffing",
        parents=[common],
        help="agents needed for a contact rate (Erlang C; Erlang A with --patience)",
    )
    staffing.add_argument("--rate", required=True, help="contacts per period: 600/h, 100/30m")
    staffing.add_argument("--aht", required=True, help="average handle time: 240s, 4m")
    staffing.add_argument(
        "--target", required=True, help="service level: 80/30s is 80%% answered within 30s"
    )
    staffing.add_argument(
        "--shrinkage", type=float, default=0.0, help="share of paid time off the phones (0.3)"
    )
    staffing.add_argument(
        "--patience", help="mean time callers wait before they hang up (Erlang A), e.g. 60s"
    )


async def command(args: argparse.Namespace) -> int:
    try:
        level, seconds = parse_target(args.target)
        demand = Demand(
            parse_rate(args.rate),
            parse_duration(args.aht),
            level,
            seconds,
            args.shrinkage,
            parse_duration(args.patience) if args.patience else None,
        )
        result = plan(demand)
    except (ValueError, DurationError) as error:
        raise CliError(str(error), 2) from None
    if args.json:
        render.print_json(result.as_json())
    else:
        show(result)
    return 0


def show(result: Plan) -> None:
    demand = result.demand
    model = "Erlang A" if demand.patience is not None else "Erlang C"
    out.print(
        f"{model}: {demand.rate * 3600:g} contacts/h, handle time {demand.aht:g}s, "
        f"traffic {demand.traffic:.2f} erlangs; target {demand.target_level:.0%} answered "
        f"within {demand.target:g}s",
        markup=False,
    )
    columns = ["AGENTS", "OCCUPANCY", "WAIT", "SERVICE LEVEL", "ASA"]
    if demand.patience is not None:
        columns.append("ABANDONED")
    table = render.table(*columns)
    for level in result.levels:
        row = [
            f"{level.agents}{' <' if level.agents == result.needed else ''}",
            f"{level.occupancy:.1%}",
            f"{level.wait_probability:.1%}",
            f"{level.service_level:.1%}",
            f"{level.asa:.1f}s" if level.asa is not None else "unbounded",
        ]
        if demand.patience is not None:
            row.append(f"{level.abandoned:.1%}")
        table.add_row(*row, style="bold" if level.agents == result.needed else "")
    out.print(table)
    out.print(f"needed: {result.needed} agents on the phones", markup=False)
    if demand.shrinkage:
        out.print(
            f"with {demand.shrinkage:.0%} shrinkage: schedule {result.scheduled}", markup=False
        )
