"""``surge migrate`` and ``surge db copy SRC DST``: the store's schema, and moving a store."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import err, out
from surge.config import load_config
from surge.store import display_url, open_store
from surge.store.copy import TableCopy, copy_store
from surge.store.sql.migrations import available, latest
from surge.store.sql.store import SqlStore

PROGRESS_EVERY = 10_000  # rows between progress lines when stderr is not a terminal


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    migrate = sub.add_parser(
        "migrate", parents=[common], help="bring the store's schema up to date"
    )
    migrate.add_argument("--store", metavar="URL", help="this store instead of the config's")
    migrate.add_argument("--dry-run", action="store_true", help="only show what would be applied")
    db = sub.add_parser("db", help="move a store: copy every row into another")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    copy = actions.add_parser(
        "copy",
        parents=[common],
        help="copy SRC_URL into DST_URL (e.g. sqlite:///var/surge.db to postgresql://…)",
    )
    copy.add_argument("source", metavar="SRC_URL")
    copy.add_argument("destination", metavar="DST_URL")
    copy.add_argument(
        "--overwrite",
        action="store_true",
        help="delete what the destination holds first (refused otherwise)",
    )


async def migrate(args: argparse.Namespace) -> int:
    url = args.store or load_config(args.config).store
    store = _sql_store(url)
    await store.db.open(migrate=False)
    try:
        applied = await store.db.migrate(dry_run=args.dry_run)
    finally:
        await store.close()
    known = latest(store.db.dialect)
    # the highest number already applied (a store may lack one below it, and get it now)
    before = max((m.number for m in available(store.db.dialect) if m not in applied), default=0)
    after = before if args.dry_run else known
    shown = [{"number": m.number, "name": m.name, "file": m.file} for m in applied]
    if args.json:
        render.print_json(
            {
                "store": display_url(url),
                "dialect": store.db.dialect,
                "from": before,
                "to": after,
                "dry_run": args.dry_run,
                "migrations": shown,
            }
        )
        return 0
    verb = "would apply" if args.dry_run else "applied"
    if not applied:
        out.print(f"{display_url(url)}: schema {before}, up to date", markup=False)
        return 0
    table = render.table("NUMBER", "MIGRATION", title=f"{display_url(url)}: {verb}")
    for migration in applied:
        table.add_row(f"{migration.number:04d}", migration.file)
    out.print(table)
    out.print(f"schema {before} → {known}" + (" (nothing changed yet)" if args.dry_run else ""))
    return 0


async def copy(args: argparse.Namespace) -> int:
    if args.source == args.destination:
        raise CliError("SRC_URL and DST_URL are the same store", 2)
    source, target = _sql_store(args.source), _sql_store(args.destination)
    await source.open()
    try:
        await target.open()
        try:
            started = time.monotonic()
            with _progress(quiet=args.json) as report:
                copies = await copy_store(source, target, overwrite=args.overwrite, progress=report)
            seconds = time.monotonic() - started
        finally:
            await target.close()
    finally:
        await source.close()
    ok = all(item.ok for item in copies)
    if args.json:
        render.print_json(
            {
                "source": display_url(args.source),
                "destination": display_url(args.destination),
                "ok": ok,
                "seconds": round(seconds, 3),
                "tables": [_as_json(item) for item in copies],
            }
        )
    else:
        out.print(_copies_table(copies, args))
        rows = sum(item.copied for item in copies)
        verdict = "every table matches" if ok else "MISMATCH: the copy is not complete"
        (out if ok else err).print(
            f"{rows} rows in {len(copies)} tables in {seconds:.1f}s: {verdict}", markup=False
        )
    return 0 if ok else 1


def _sql_store(url: str) -> SqlStore:
    store = open_store(url)
    assert isinstance(store, SqlStore)
    return store


def _as_json(item: TableCopy) -> dict[str, Any]:
    return {
        "table": item.table,
        "rows": item.rows,
        "copied": item.copied,
        "source_checksum": item.source_sum,
        "copied_checksum": item.copied_sum,
        "ok": item.ok,
    }


def _copies_table(copies: list[TableCopy], args: argparse.Namespace) -> Any:
    title = f"{display_url(args.source)} → {display_url(args.destination)}"
    table = render.table("TABLE", "ROWS", "COPIED", "CHECKSUM", "COPY'S CHECKSUM", "", title=title)
    for item in copies:
        mark = Text("ok", style="green") if item.ok else Text("DIFFERS", style="bold red")
        table.add_row(
            item.table, str(item.rows), str(item.copied), item.source_sum, item.copied_sum, mark
        )
    return table


class _progress:
    """A progress bar on a terminal; elsewhere a line per table and every 10,000 rows."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Progress | None = None
        self.tasks: dict[str, Any] = {}
        self.printed: dict[str, int] = {}

    def __enter__(self) -> _progress:
        if err.is_terminal and not self.quiet:
            columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn())
            self.bar = Progress(*columns, console=err, transient=False)
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, table: str, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            if table not in self.tasks:
                self.tasks[table] = self.bar.add_task(table, total=total)
            self.bar.update(self.tasks[table], completed=done)
            return
        last = self.printed.get(table, -PROGRESS_EVERY)
        if done == total or done - last >= PROGRESS_EVERY:
            self.printed[table] = done
            err.print(f"copying {table}: {done}/{total} rows", markup=False)
