"""``surge scripts list|check``: the response scripts, and checking a reply against one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from surge.audit.actor import cli_actor
from surge.audit.changes import Change
from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import err, out
from surge.config import load_config
from surge.engine.engine import utcnow
from surge.runtime import Runtime, build_runtime
from surge.scripts.approval import ApprovalState, Standing, approve, standing
from surge.scripts.model import LOCALES, Script
from surge.scripts.rules import Violation, approved_wording, check, report

MAX_TEXT = 10_000  # characters, as the HTTP API allows


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``surge scripts …``; ``common`` carries --config and --json."""
    scripts = sub.add_parser("scripts", help="response scripts: list, approve, check a reply")
    actions = scripts.add_subparsers(dest="scripts_command", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[common], help="list the scripts and their approval")
    approving = actions.add_parser(
        "approve", parents=[common], help="approve a script's current content"
    )
    approving.add_argument("script", metavar="ID")
    approving.add_argument("--by", required=True, metavar="NAME", help="who approves")
    approving.add_argument("--note", default="", help="kept with the approval")
    checking = actions.add_parser(
        "check", parents=[common], help="check a reply against a script (exit 1 on violations)"
    )
    checking.add_argument("script", metavar="ID")
    given = checking.add_mutually_exclusive_group(required=True)
    given.add_argument("--text", help="the reply itself")
    given.add_argument("--file", type=Path, metavar="FILE", help="a UTF-8 file with the reply")
    checking.add_argument("--locale", choices=LOCALES, help="default: the script's first")
    checking.add_argument("--channel", help="also check the length allowed on it, e.g. sms")


async def command(args: argparse.Namespace) -> int:
    runtime = build_runtime(load_config(args.config))
    if args.scripts_command == "check":
        return _check(runtime, args)
    await runtime.open()  # approvals are kept in the store
    try:
        if args.scripts_command == "list":
            return await _list(runtime, args.json)
        return await _approve(runtime, args)
    finally:
        await runtime.close()


async def _approve(runtime: Runtime, args: argparse.Namespace) -> int:
    script = runtime.scripts.get(args.script)
    if script is None:
        known = ", ".join(item.id for item in runtime.scripts.all()) or "none loaded"
        raise CliError(f"no script {args.script!r} (known: {known})", 2)
    try:
        approval = await approve(
            runtime.store,
            script,
            args.by,
            utcnow(),
            args.note,
            two_person_rule=runtime.config.scripts.two_person_rule,
        )
    except ValueError as error:
        raise CliError(str(error), 2) from None
    detail = {"sha256": approval.sha256, "approved_by": approval.approved_by, "note": args.note}
    await runtime.audit.record(cli_actor(), Change("script.approve", f"script:{script.id}", detail))
    if args.json:
        render.print_json(
            {
                "script": script.id,
                "sha256": approval.sha256,
                "approved_by": approval.approved_by,
                "approved_at": approval.approved_at.isoformat(),
            }
        )
    else:
        out.print(
            f"script {script.id} approved by {approval.approved_by} "
            f"(content {approval.sha256[:12]})",
            markup=False,
        )
    return 0


def _approver(found: Standing) -> str | None:
    return found.latest.approved_by if found.latest else None


async def _list(runtime: Runtime, as_json: bool) -> int:
    scripts = runtime.scripts.all()
    problems = [str(problem) for problem in runtime.problems]
    history = await runtime.store.approvals()
    states = {script.id: standing(script, history) for script in scripts}
    if as_json:
        listed = [
            {
                **item.summary(),
                "approval": states[item.id].state.value,
                "approved_by": _approver(states[item.id]),
            }
            for item in scripts
        ]
        render.print_json({"scripts": listed, "problems": problems})
        return 0
    table = render.table("ID", "TITLE", "APPROVAL", "LOCALES", "VARS", "RULES", "HASH")
    for script in scripts:
        variables = ", ".join(
            f"{name}{'*' if var.required else ''}" for name, var in script.vars.items()
        )
        found = states[script.id]
        approval = found.state.value + (
            f" ({found.latest.approved_by})"
            if found.state is ApprovalState.APPROVED and found.latest
            else ""
        )
        table.add_row(
            script.id,
            script.title,
            approval,
            ", ".join(script.locales),
            variables,
            str(script.rules.count()),
            script.content_hash[:12],
        )
    out.print(table if scripts else f"no scripts in {runtime.config.scripts.folder}")
    for problem in problems:
        err.print(f"not loaded: {problem}", style="yellow", markup=False)
    return 0


def _check(runtime: Runtime, args: argparse.Namespace) -> int:
    script = runtime.scripts.get(args.script)
    if script is None:
        known = ", ".join(item.id for item in runtime.scripts.all()) or "none loaded"
        raise CliError(f"no script {args.script!r} (known: {known})", 2)
    text = args.text if args.text is not None else _read(args.file)
    if len(text) > MAX_TEXT:
        raise CliError(f"the text has {len(text)} characters; at most {MAX_TEXT} are checked", 2)
    locale = args.locale or next(iter(script.locales))
    violations = check(script, text, locale, channel=args.channel)
    instead = approved_wording(script, locale)
    if args.json:
        render.print_json(report(violations, instead))
    else:
        _show(script, text, violations, instead)
    return 1 if violations else 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}", 2) from None
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text", 2) from None


def _show(script: Script, text: str, violations: list[Violation], instead: str) -> None:
    if not violations:
        out.print(f"pass: the text keeps to script {script.id}", style="green", markup=False)
        return
    for item in violations:
        out.print(Text(f"{item.rule}: ", style="bold red") + Text(item.message))
        if item.end > item.start:
            for line in marked(text, item.start, item.end):
                out.print(line)
    out.print(Text("use the approved wording instead:", style="bold"))
    out.print(Text(instead), style="green")
    err.print(f"{len(violations)} violation(s) of script {script.id}", style="red", markup=False)


def marked(text: str, start: int, end: int) -> list[Text]:
    """The line holding ``text[start:end]`` with the span highlighted, and a caret line
    under it (aligned by terminal cells, so CJK text lines up) for when colour is off."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    stop = min(end, line_end)
    line = Text("  " + text[line_start:line_end])
    line.stylize("bold red reverse", start - line_start + 2, stop - line_start + 2)
    before = cell_len(text[line_start:start])
    carets = "^" * max(cell_len(text[start:stop]), 1)
    return [line, Text("  " + " " * before + carets, style="red")]
