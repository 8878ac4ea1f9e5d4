"""``surge audit``: the audit log, newest first, from the store or a server."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from rich.table import Table
from rich.text import Text

from surge.cli import render
from surge.cli.backend import Backend, CliError
from surge.cli.render import err, out
from surge.durations import DurationError, parse_duration

Work = Callable[[Backend], Awaitable[int]]
FILTERS = ("actor", "action", "target", "outcome", "address")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser
) -> None:
    """``surge audit``; ``parent`` carries --config, --json, --server and --token."""
    audit = sub.add_parser(
        "audit", parents=[parent], help="who changed what, when and from where (admins)"
    )
    audit.add_argument("--actor", help="a token's name, or cli:USER")
    audit.add_argument("--action", help="e.g. incident.ack; ending in *, a prefix: incident.*")
    audit.add_argument("--target", help="e.g. incident:7, silence:3, token:ci-bot")
    audit.add_argument("--outcome", choices=("ok", "denied"))
    audit.add_argument("--address", help="only requests from this client address")
    audit.add_argument("--since", metavar="WHEN", help="a duration back (2h, 1d) or a time")
    audit.add_argument("--until", metavar="WHEN", help="a duration back or a time")
    audit.add_argument("--before", type=int, metavar="ID", help="older than this entry: a page")
    audit.add_argument("--limit", type=int, default=50, help="at most this many (1-1000)")


def command(args: argparse.Namespace) -> Work:
    """The filters are checked first, so that a usage error needs no store or server."""
    filters = {name: getattr(args, name) for name in FILTERS if getattr(args, name)}
    for name in ("since", "until"):
        if getattr(args, name):
            filters[name] = _moment(getattr(args, name), name)
    if args.before is not None:
        filters["before"] = str(args.before)
    filters["limit"] = str(args.limit)

    async def work(backend: Backend) -> int:
        page = await backend.audit(filters)
        if args.json:
            render.print_json(page)
            return 0
        entries = page["entries"]
        if not entries:
            out.print("no audit entries" + (" matching" if len(filters) > 1 else ""))
            return 0
        out.print(_table(entries))
        if page["next_before"] is not None:
            err.print(f"older entries: add --before {page['next_before']}", style="dim")
        return 0

    return work


def _moment(text: str, name: str) -> str:
    """A time as ISO 8601: ``2h`` (that long ago) or a time as written."""
    try:
        return (datetime.now(UTC) - timedelta(seconds=parse_duration(text))).isoformat()
    except DurationError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(
            f"--{name} {text!r}: give a duration back (30m, 2h, 1d) or a time "
            "(2026-11-25T08:00, read as this machine's time without an offset)",
            2,
        ) from None
    return (moment if moment.tzinfo else moment.astimezone()).isoformat()


def _table(entries: list[dict[str, object]]) -> Table:
    result = render.table("ID", "WHEN", "ACTOR", "ROLE", "FROM", "ACTION", "TARGET", "DETAIL")
    for column in result.columns:  # short fields stay whole; FROM and DETAIL fold
        column.no_wrap = column.header not in ("FROM", "DETAIL")
    for entry in entries:
        action = str(entry["action"])
        denied = entry["outcome"] == "denied"
        result.add_row(
            str(entry["id"]),
            render.when(str(entry["at"])),
            str(entry["actor"]),
            str(entry["role"]),
            str(entry["origin"]),
            Text(f"{action} (denied)" if denied else action, style="red" if denied else ""),
            str(entry["target"]),
            render.short(entry["detail"], 40),
        )
    return result
