"""``surge silence add|list|expire``: matching alerts and metric triggers start nothing."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo

from rich.table import Table
from rich.text import Text

from surge.cli import render
from surge.cli.backend import Backend, CliError, Json
from surge.cli.render import out
from surge.triggers.silences import SilenceError, silence_from_json
from surge.triggers.windows import format_window, read_time, time_zone

Work = Callable[[Backend], Awaitable[int]]
STATE_STYLE = {"active": "bold yellow", "scheduled": "cyan", "expired": "dim"}
_WINDOW_HELP = (
    'recur only inside this window (repeatable): "daily 22:00-06:00", "weekdays 09:00-18:00", '
    '"weekends", "sat,sun 00:00-24:00", "mon 02:00-04:00"; an end before the start runs '
    "past midnight"
)


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser
) -> None:
    """``surge silence …``; ``parent`` carries --config, --json, --server and --token."""
    silence = sub.add_parser("silence", help="silence alerts and metric triggers for a while")
    actions = silence.add_subparsers(dest="silence_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[parent], help="add a silence")
    add.add_argument(
        "--match",
        action="append",
        default=[],
        metavar="MATCHER",
        help="a label matcher, all must hold (repeatable): alertname=ChannelDown, "
        'severity=~"critical|major", env!=staging; the labels playbook and trigger '
        "(alert or metric) can be matched too",
    )
    add.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="ID",
        help="a maintenance window: hold back the triggers of playbooks whose incidents "
        "concern this component (repeatable); --match is then optional",
    )
    end = add.add_mutually_exclusive_group()
    end.add_argument("--for", dest="for_", metavar="DURATION", help="how long: 30m, 2h, 1d")
    end.add_argument("--until", metavar="TIME", help="when it ends, e.g. 2030-06-01T14:00")
    add.add_argument("--start", metavar="TIME", help="when it starts (default: now)")
    add.add_argument("--window", action="append", default=[], metavar="WHEN", help=_WINDOW_HELP)
    add.add_argument(
        "--tz",
        metavar="ZONE",
        help="IANA time zone of --window and of times without an offset, e.g. Asia/Shanghai "
        "(default: this machine's, from $TZ or /etc/localtime, else UTC)",
    )
    add.add_argument("--comment", required=True, help="why, for everyone who sees it")
    listing = actions.add_parser("list", parents=[parent], help="list silences in force")
    listing.add_argument("--all", action="store_true", help="expired silences too")
    expire = actions.add_parser("expire", parents=[parent], help="end a silence now")
    expire.add_argument("id", type=int)


def command(args: argparse.Namespace) -> Work:
    """What to do with a backend; the arguments are checked first, so that a usage error
    needs neither the store nor a server."""
    if args.silence_command == "add":
        return _add(_body(args), args.json)
    if args.silence_command == "list":
        return _list(args.all, args.json)
    return _expire(args.id, args.json)


# -- add --


def _body(args: argparse.Namespace) -> Json:
    """The JSON the API takes, with times made absolute in ``--tz``; checked."""
    if not (args.for_ or args.until or args.window):
        raise CliError("say how long: --for DURATION or --until TIME (or a recurring --window)", 2)
    zone_name = args.tz or local_zone_name()
    try:
        zone = time_zone(zone_name)
    except ValueError as error:
        raise CliError(f"--tz: {error}", 2) from None
    body: Json = {
        "matchers": args.match,
        "components": args.component,
        "timezone": zone_name,
        "comment": args.comment,
    }
    if args.start is not None:
        body["starts_at"] = _time("--start", args.start, zone)
    if args.until is not None:
        body["ends_at"] = _time("--until", args.until, zone)
    if args.for_ is not None:
        body["for"] = args.for_
    if args.window:
        body["windows"] = args.window
    try:
        silence_from_json(body, created_by="cli", now=datetime.now(UTC))
    except SilenceError as error:
        raise CliError("invalid silence", 2, error.problems) from None
    return body


def _time(option: str, text: str, zone: tzinfo) -> str:
    try:
        return read_time(text, zone).isoformat()
    except ValueError as error:
        raise CliError(f"{option}: {error}", 2) from None


def local_zone_name() -> str:
    """This machine's IANA time zone: ``$TZ``, else where /etc/localtime points, else UTC."""
    candidates = [
        os.environ.get("TZ", "").removeprefix(":"),
        os.path.realpath("/etc/localtime").partition("/zoneinfo/")[2],
    ]
    for name in candidates:
        try:
            if name:
                time_zone(name)
                return name
        except ValueError:
            continue
    return "UTC"


def _add(body: Json, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        silence = await backend.add_silence(body)
        if as_json:
            render.print_json(silence)
            return 0
        line = Text(f"silence {silence['id']} added: {', '.join(silence['matchers'])} ")
        line.append(f"{describe(silence)} (").append(_state(silence["state"])).append(")")
        out.print(line)
        return 0

    return work


# -- list and expire --


def _list(include_expired: bool, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.silences(include_expired)
        if as_json:
            render.print_json(found)
        elif not found:
            out.print("no silences" + ("" if include_expired else " in force (--all shows all)"))
        else:
            out.print(silences_table(found))
        return 0

    return work


def _expire(silence_id: int, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        silence = await backend.expire_silence(silence_id)
        if as_json:
            render.print_json(silence)
        else:
            out.print(f"silence {silence['id']} is now", _state(silence["state"]))
        return 0

    return work


def silences_table(silences: list[Json]) -> Table:
    result = render.table("ID", "MATCHERS", "WHEN", "STATE", "COMMENT", "BY")
    for item in silences:
        result.add_row(
            str(item["id"]),
            ", ".join([*item["matchers"], *(f"component {c}" for c in item["components"])]),
            describe(item),
            _state(item["state"]),
            item["comment"],
            item["created_by"],
        )
    return result


def describe(silence: Json) -> str:
    """When it holds, for people: ``until 14:00``, ``daily 22:00–06:00 Asia/Shanghai``."""
    parts = []
    if silence["windows"]:
        windows = ", ".join(format_window(window) for window in silence["windows"])
        parts.append(f"{windows} {silence['timezone']}")
    if datetime.fromisoformat(silence["starts_at"]) > datetime.now(UTC):
        parts.append(f"from {_moment(silence['starts_at'])}")
    if silence["expired_at"]:
        parts.append(f"expired {_moment(silence['expired_at'])}")
    elif silence["ends_at"]:
        parts.append(f"until {_moment(silence['ends_at'])}")
    elif not silence["windows"]:
        parts.append("until expired")
    return " ".join(parts)


def _moment(value: str) -> str:
    local = datetime.fromisoformat(value).astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def _state(state: str) -> Text:
    return Text(state, style=STATE_STYLE.get(state, ""))
