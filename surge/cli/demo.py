"""``surge demo``: the shipped playbooks at work on the embedded default (surge.demo)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from surge.cli.backend import CliError
from surge.cli.render import out
from surge.demo.run import SCENARIO_NAMES, DemoError, DemoOptions, demo


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="play a scenario through the shipped playbooks on the embedded default, then serve",
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIO_NAMES,
        default="all",
        help="promotion (a traffic peak), outage (a channel down), complaints (a complaint "
        "surge), or all three at once (the default)",
    )
    parser.add_argument("--fast", action="store_true", help="a short run: well under a minute")
    parser.add_argument(
        "--seed", type=int, default=1, help="the same seed plays the same answers and metrics"
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:8080", metavar="HOST:PORT", help="where surge serves"
    )
    parser.add_argument(
        "--folder", default="var/demo", metavar="PATH", help="the demo's store and config (wiped)"
    )
    parser.add_argument(
        "--exit", action="store_true", help="stop once the scenario is over instead of serving on"
    )


def command(args: argparse.Namespace) -> int:
    # what goes wrong inside (a plugin, the store) is logged; the lines above it are the demo
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = DemoOptions(
        scenario=args.scenario,
        fast=args.fast,
        seed=args.seed,
        listen=args.listen,
        folder=Path(args.folder),
        serve=not args.exit,
    )

    def say(line: str) -> None:
        out.print(line, markup=False, highlight=False, soft_wrap=True)

    try:
        return asyncio.run(demo(options, say))
    except DemoError as error:
        raise CliError(str(error)) from None
    except KeyboardInterrupt:
        say("surge demo: stopped")
        return 0
