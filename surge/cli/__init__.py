"""The ``surge`` command line. Exit codes: 0 ok, 1 failure, 2 usage error."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from surge import __version__
from surge.cli import (
    audit,
    commands,
    customers,
    db,
    demo,
    export,
    notices,
    openapi,
    report,
    rota,
    scripts,
    silences,
    simulate,
    staffing,
    subscribers,
)
from surge.cli.backend import CliError
from surge.cli.render import err
from surge.cli.serve import serve
from surge.config import ConfigError
from surge.plugin.manager import PluginError
from surge.roles import ROLES
from surge.store import StoreError, StoreUnavailable
from surge.store.records import IncidentStatus

STATUSES = tuple(status.value for status in IncidentStatus)


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 1000")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 1e9:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $SURGE_CONFIG, then config/surge.yaml)",
    )
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    remote = argparse.ArgumentParser(add_help=False, parents=[common])
    remote.add_argument(
        "--server",
        metavar="URL",
        help="talk to this surge server (default: $SURGE_SERVER; without it, "
        "work on the store directly)",
    )
    remote.add_argument("--token", metavar="TOKEN", help="bearer token (default: $SURGE_TOKEN)")

    parser = argparse.ArgumentParser(
        prog="surge", description="Runs the agreed response when a service is under stress."
    )
    parser.add_argument("--version", action="version", version=f"surge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="run the server and the engine")
    serve.add_argument("--listen", metavar="HOST:PORT", help="overrides `listen` in the config")

    validate = sub.add_parser("validate", parents=[common], help="check playbooks and config")
    validate.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders (default: the config and its playbooks)",
    )

    sub.add_parser("list", parents=[remote], help="list the loaded playbooks")

    trigger = sub.add_parser("trigger", parents=[remote], help="start a playbook by hand")
    trigger.add_argument("playbook")
    trigger.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a param, repeatable",
    )
    trigger.add_argument(
        "--wait", action="store_true", help="follow the run live until no step is left to run"
    )
    trigger.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="with --wait: stop following after this long (exit 1 if steps are left)",
    )

    incidents = sub.add_parser("incidents", parents=[remote], help="list incidents")
    incidents.add_argument("--status", action="append", choices=STATUSES, default=[])
    incidents.add_argument("--open", action="store_true", help="only those not yet closed")
    incidents.add_argument("--playbook")
    incidents.add_argument("--limit", type=_count, default=50, help="at most this many (1-1000)")

    show = sub.add_parser("show", parents=[remote], help="an incident's steps and timeline")
    show.add_argument("id", type=int)
    show.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="keep printing new entries until the incident is closed and idle",
    )

    for name, text in (
        ("ack", "acknowledge"),
        ("mitigate", "mark mitigated"),
        ("resolve", "resolve (runs on_resolve)"),
        ("cancel", "cancel"),
    ):
        change = sub.add_parser(name, parents=[remote], help=f"{text} an incident")
        change.add_argument("id", type=int)
        change.add_argument("--note", "-m", default="", help="shown on the timeline")

    silences.add_parser(sub, remote)
    customers.add_parser(sub, remote)
    report.add_parser(sub, remote)
    subscribers.add_parser(sub, remote)
    notices.add_parser(sub, remote)
    simulate.add_parser(sub, common)
    scripts.add_parser(sub, common)
    audit.add_parser(sub, remote)
    openapi.add_parser(sub, common)
    rota.add_parser(sub, common)
    staffing.add_parser(sub, common)
    db.add_parsers(sub, common)
    demo.add_parser(sub)
    export.add_parser(sub, common)

    sub.add_parser("plugins", parents=[common], help="list plugins, versions and hooks")

    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", parents=[common], help="create a token (shown once)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", help="who or what uses it (default: ROLE-N)")
    token_sub.add_parser("list", parents=[common], help="list tokens (never their values)")
    revoke = token_sub.add_parser("revoke", parents=[common], help="revoke a token by name")
    revoke.add_argument("name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "demo":
            return demo.command(args)
        return asyncio.run(commands.dispatch(args))
    except ConfigError as error:
        for problem in error.problems:
            err.print(str(problem), markup=False)
        err.print("the config has problems; `surge validate` lists them all", style="red")
        return 1
    except StoreUnavailable as error:  # disk full, read-only, the database unreachable
        err.print(f"surge: the store cannot be used now: {error}", style="red", markup=False)
        err.print(
            "nothing was changed; free space or fix the store's disk (SQLite), or make the"
            " database reachable and writable (PostgreSQL), then try again"
        )
        return 1
    except StoreError as error:
        err.print(f"surge: the store cannot be used: {error}", style="red", markup=False)
        return 1
    except PluginError as error:
        err.print(f"surge: a plugin is broken: {error}", style="red", markup=False)
        err.print("fix or uninstall it; `pip list` shows what is installed", markup=False)
        return 1
    except CliError as error:
        err.print(f"surge: {error}", style="red", markup=False)
        for detail in error.details:
            err.print(f"  - {detail}", markup=False)
        return error.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
