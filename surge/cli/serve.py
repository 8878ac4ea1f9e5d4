"""``surge serve``: the HTTP server with the engine and the triggers."""

from __future__ import annotations

import argparse
import logging

from surge.cli.backend import CliError
from surge.cli.render import err, out
from surge.config import load_config, parse_listen
from surge.runtime import build_runtime
from surge.store import display_url


def serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from surge.web.accesslog import SurgeAccessLogger
    from surge.web.app import app_for

    config = load_config(args.config)
    try:
        host, port = parse_listen(args.listen or config.listen)
    except ValueError as error:
        raise CliError(f"{error}; e.g. --listen 127.0.0.1:8080", 2) from None
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    runtime = build_runtime(config)
    out.print(
        f"surge: {len(runtime.playbooks)} playbooks from {config.playbooks}/, "
        f"store {display_url(config.store)}",
        markup=False,
    )
    for problem in runtime.problems:
        err.print(f"  skipped: {problem}", style="yellow", markup=False)
    if not config.tokens:
        out.print("  API tokens: create one with `surge token create --role admin`", markup=False)

    def started(_: str) -> None:  # aiohttp calls this once the socket is bound
        out.print(
            f"  listening on http://{host}:{port}/  (health: /healthz, metrics: /metrics)",
            markup=False,
        )

    try:
        web.run_app(
            app_for(runtime),
            host=host,
            port=port,
            print=started,
            access_log_format='%a "%r" %s %b %Tfs',
            access_log_class=SurgeAccessLogger,  # the public pages' 200s and 304s: not logged
        )
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CliError(
            f"cannot listen on {host}:{port}: {reason}; is another surge running? "
            "Stop it, or pass --listen HOST:PORT"
        ) from None
    return 0
