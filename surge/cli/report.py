"""``surge report ID``: the post-incident report as Markdown (default) or HTML, printed or
written to ``--out FILE``."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path

from surge.cli.backend import Backend, CliError
from surge.cli.render import out
from surge.report.render import FORMATS
from surge.scripts.model import LOCALES

Work = Callable[[Backend], Awaitable[int]]


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser
) -> None:
    """``surge report …``; ``parent`` carries --config, --server and --token."""
    report = sub.add_parser("report", parents=[parent], help="an incident's post-incident report")
    report.add_argument("id", type=int, metavar="ID", help="the incident")
    report.add_argument("--format", choices=FORMATS, default="md", help="md (default) or html")
    report.add_argument(
        "--locale", choices=LOCALES, help="headings' language (default: the playbook's)"
    )
    report.add_argument("--out", type=Path, metavar="FILE", help="write it here instead")


def command(args: argparse.Namespace) -> Work:
    async def work(backend: Backend) -> int:
        text = await backend.report(args.id, args.format, args.locale)
        if args.out is None:
            out.file.write(text)
            return 0
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot write {args.out}: {error.strerror or error}") from None
        out.print(f"report of incident {args.id} written to {args.out}", markup=False)
        return 0

    return work
