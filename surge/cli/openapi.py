"""``surge openapi``: the API's OpenAPI document, and docs/api.md's generated parts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import out
from surge.config import Config, load_config


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    openapi = sub.add_parser(
        "openapi", parents=[common], help="print the HTTP API's OpenAPI 3.1 document"
    )
    openapi.add_argument(
        "--docs",
        type=Path,
        metavar="FILE",
        help="instead, rewrite FILE's generated parts (docs/api.md) from surge itself: "
        "built-in routes only, the default config",
    )


def document(config: Config, *, plugins: bool) -> dict[str, Any]:
    from surge.web.app import create_app
    from surge.web.openapi.assemble import document as assemble

    return assemble(create_app(config, load_entry_points=plugins, run_engine=False))


async def command(args: argparse.Namespace) -> int:
    from surge.web.openapi.reference import rewrite, sections

    if args.docs is None:  # this server as configured, its plugins' routes too
        render.print_json(document(load_config(args.config), plugins=True))
        return 0
    try:
        text = args.docs.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {args.docs}: {error.strerror or error}", 2) from None
    try:
        updated = rewrite(text, sections(document(Config(), plugins=False)))
    except ValueError as error:
        raise CliError(f"{args.docs}: {error}", 2) from None
    if updated == text:
        out.print(f"{args.docs} is up to date", markup=False)
        return 0
    args.docs.write_text(updated, encoding="utf-8")
    out.print(f"{args.docs}: generated parts rewritten", markup=False)
    return 0
