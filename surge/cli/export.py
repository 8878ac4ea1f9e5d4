"""``surge export-status DIR``: the public status pages as static files, for a plain web
server or a bucket that keeps serving them when surge is down (docs/notices.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import out
from surge.config import load_config
from surge.runtime import build_runtime
from surge.statuspage.export import ExportError, export
from surge.statuspage.site import Site
from surge.statuspage.snapshot import build


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    command = sub.add_parser(
        "export-status",
        parents=[common],
        help="write the status page, its JSON, Atom feed and banner as files into DIR",
    )
    command.add_argument("folder", metavar="DIR", type=Path, help="made if missing")


async def command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    runtime = build_runtime(config)
    await runtime.open()
    try:
        notices = runtime.engine.services.notices
        assert notices is not None  # build_runtime always makes it
        view = await notices.view(runtime.engine.clock(), config.status_page.history_days)
    finally:
        await runtime.close()
    try:
        done = export(build(view, Site.of(config.public_url, config.status_page)), args.folder)
    except ExportError as error:
        raise CliError(str(error)) from None
    if args.json:
        render.print_json(
            {
                "folder": str(done.folder),
                "revision": done.revision,
                "written": list(done.written),
                "unchanged": list(done.unchanged),
                "removed": list(done.removed),
            }
        )
        return 0
    out.print(
        f"{done.folder}: {len(done.written)} files written, {len(done.unchanged)} unchanged, "
        f"{len(done.removed)} removed (status revision {done.revision})",
        markup=False,
    )
    return 0
