"""What each ``surge`` subcommand does."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from surge.audit.actor import cli_actor
from surge.cli import render
from surge.cli.backend import Backend, CliError, HttpBackend, LocalBackend
from surge.cli.render import err, out
from surge.cli.rota import paging_problems
from surge.config import (
    DEFAULT_SCRIPTS,
    Config,
    ConfigError,
    find_config_path,
    load_config,
    parse_config,
)
from surge.playbook.model import MetricTrigger, Playbook
from surge.runtime import Runtime, build_runtime
from surge.store.records import OPEN_STATUSES
from surge.yamlpos import YamlProblem

OPEN = tuple(status.value for status in OPEN_STATUSES)
CHANNEL_ACTIONS = ("channel.open", "channel.post", "channel.close", "channel.broadcast_script")
_OPEN_RUN = ("pending", "running", "waiting")


async def dispatch(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
        "validate": validate,
        "list": list_playbooks,
        "trigger": trigger,
        "incidents": incidents,
        "show": show,
        "ack": change_status,
        "mitigate": change_status,
        "resolve": change_status,
        "cancel": change_status,
        "plugins": plugins,
        "token": token,
        "silence": silence,
        "customers": customers_command,
        "report": report_command,
        "subscribers": subscribers_command,
        "notice": notices_command,
        "components": notices_command,
        "banner": notices_command,
        "simulate": simulate_command,
        "scripts": scripts_command,
        "audit": audit_command,
        "openapi": openapi_command,
        "rota": rota_command,
        "staffing": staffing_command,
        "migrate": migrate_command,
        "db": db_command,
        "export-status": export_status_command,
    }
    return await handlers[args.command](args)


async def _backend(args: argparse.Namespace) -> Backend:
    server = args.server or os.environ.get("SURGE_SERVER")
    if server:
        return HttpBackend(server, args.token or os.environ.get("SURGE_TOKEN"))
    runtime = build_runtime(load_config(args.config))
    await runtime.open()
    return LocalBackend(runtime, cli_actor())


async def _with_backend(args: argparse.Namespace, work: Callable[[Backend], Awaitable[int]]) -> int:
    backend = await _backend(args)
    try:
        return await work(backend)
    finally:
        await backend.close()


# -- validate --


async def validate(args: argparse.Namespace) -> int:
    config_path = find_config_path(args.config)
    paths = [Path(path) for path in args.paths]
    problems: list[str] = []
    checked: list[str] = []
    config = Config()
    if config_path is not None:
        config, found = _check_config(config_path)
        if not paths or config_path in paths:
            problems.extend(found)
            checked.append(str(config_path))
    targets = [path for path in paths if path != config_path] if paths else _folders(config)
    runtime = build_runtime(config)
    if config_path is not None and (not paths or config_path in paths):
        problems.extend(str(problem) for problem in runtime.channel_problems)
    for target in targets:
        problems.extend(str(problem) for problem in _validate_path(target, runtime, config))
        checked.append(str(target))
    if config_path is not None and not paths:
        problems.extend(_references(runtime.playbooks.all(), config, config_path))
        problems.extend(paging_problems(runtime, config, config_path))
        checked.extend([str(config.rota)] if config.rota else [])
    if args.json:
        render.print_json({"checked": checked, "problems": problems, "ok": not problems})
    else:
        for problem in problems:
            out.print(problem, markup=False, soft_wrap=True)  # one line each, never wrapped
        verdict = f"{len(problems)} problem(s)" if problems else "no problems"
        (err if problems else out).print(f"checked {', '.join(checked)}: {verdict}", markup=False)
    return 1 if problems else 0


def _folders(config: Config) -> list[Path]:
    """What ``surge validate`` checks by default: the playbooks, and the scripts folder
    when it exists or is configured."""
    scripts = config.scripts.folder
    return [
        config.playbooks,
        *([scripts] if scripts.is_dir() or scripts != DEFAULT_SCRIPTS else []),
    ]


def _validate_path(path: Path, runtime: Runtime, config: Config) -> list[YamlProblem]:
    """A path in (or of) the scripts folder holds scripts; the rota (or a file named
    rota*.yaml) is a rota; any other, playbooks."""
    from surge.playbook.library import validate_path
    from surge.rota.parse import load_rota_file
    from surge.scripts.library import validate_path as validate_scripts

    if path.is_file() and (path.name.startswith("rota") or path == config.rota):
        return load_rota_file(path)[1]
    folder = config.scripts.folder.resolve()
    if folder in (path.resolve(), path.resolve().parent):
        return validate_scripts(path, runtime.templates)
    return validate_path(path, runtime.actions, runtime.templates)


def _references(playbooks: list[Playbook], config: Config, path: Path) -> list[str]:
    """What the playbooks name that the config must provide: Prometheus for metric
    triggers, webhook targets and commands given by literal name."""
    found = []
    for playbook in playbooks:
        for trigger in playbook.triggers:
            if isinstance(trigger, MetricTrigger) and config.prometheus is None:
                found.append(
                    f"{trigger.pos}: a metric trigger needs `prometheus: {{url: …}}` in {path}"
                )
        for step in (*playbook.steps, *playbook.on_resolve):
            known: dict[str, tuple[str, Mapping[str, object]]] = {
                "webhook": ("target", config.webhooks),
                "command": ("name", config.commands),
                **{action: ("channel", config.channels) for action in CHANNEL_ACTIONS},
                "hotline.open": ("hotline", config.hotlines),
                "hotline.close": ("hotline", config.hotlines),
            }
            if step.action not in known:
                continue
            key, names = known[step.action]
            name = step.with_.get(key)
            if isinstance(name, str) and "{" not in name and name not in names:
                listed = ", ".join(sorted(names)) or "none"
                found.append(
                    f"{step.pos}: {step.action} {key} {name!r} is not in {path} "
                    f"(configured: {listed})"
                )
    return found


def _check_config(path: Path) -> tuple[Config, list[str]]:
    try:
        return parse_config(path.read_bytes(), str(path)), []
    except ConfigError as error:
        return Config(), [str(problem) for problem in error.problems]
    except OSError as error:
        return Config(), [f"{path}:1:1: cannot read the config: {error.strerror}"]


# -- playbooks and incidents --


async def list_playbooks(args: argparse.Namespace) -> int:
    async def work(backend: Backend) -> int:
        data = await backend.playbooks()
        if args.json:
            render.print_json(data)
            return 0
        result = render.table("ID", "TITLE", "KIND", "SEVERITY", "PARAMS", "TRIGGERS")
        for item in data["playbooks"]:
            params = ", ".join(
                f"{name}{'*' if spec['required'] else ''}" for name, spec in item["params"].items()
            )
            triggers = ", ".join(next(iter(trigger)) for trigger in item["triggers"]) or "manual"
            result.add_row(
                item["id"], item["title"], item["kind"], item["severity"], params, triggers
            )
        out.print(result)
        for problem in data["problems"]:
            err.print(f"not loaded: {problem}", style="yellow", markup=False)
        return 0

    return await _with_backend(args, work)


def _params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--param takes KEY=VALUE, got {pair!r}", 2)
        params[key.strip()] = value
    return params


async def trigger(args: argparse.Namespace) -> int:
    params = _params(args.param)

    async def work(backend: Backend) -> int:
        incident = await backend.trigger(args.playbook, params)
        if args.json and not args.wait:
            render.print_json(incident)
            return 0
        if not args.json:
            out.print(
                f"incident {incident['id']} opened: {incident['title']} ({backend.where})",
                markup=False,
            )
        if not await backend.engine_seen():
            err.print(
                "no surge server is running on this store: the steps will run once "
                "`surge serve` starts",
                style="yellow",
            )
        if not args.wait:
            out.print(f"follow it with: surge show {incident['id']} --follow", markup=False)
            return 0
        final, finished = await _follow(backend, incident["id"], args.timeout, quiet=args.json)
        if args.json:
            render.print_json(final)
        return 0 if finished else 1

    return await _with_backend(args, work)


async def _follow(
    backend: Backend,
    incident_id: int,
    follow_for: float | None,
    *,
    quiet: bool = False,
    until_closed: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Print timeline entries as they come until no step is left to run (and, with
    ``until_closed``, the incident is resolved or cancelled). Returns the incident and
    whether it got there before ``follow_for`` ran out."""
    seen = 0
    deadline = time.monotonic() + follow_for if follow_for is not None else None
    while True:
        data = await backend.incident(incident_id)
        for entry in data["timeline"]:
            if entry["id"] > seen:
                seen = entry["id"]
                if not quiet:
                    out.print(render.timeline_line(entry))
        idle = not any(run["status"] in _OPEN_RUN for run in data["steps"])
        if idle and (data["status"] not in OPEN or not until_closed):
            if not quiet:
                out.print(
                    f"incident {incident_id} is {data['status']}; no step left to run", markup=False
                )
            return data, True
        if deadline is not None and time.monotonic() > deadline:
            if not quiet:
                err.print(
                    f"stopped following after {follow_for:g}s; incident {incident_id} is "
                    f"{data['status']} and still has steps to run",
                    markup=False,
                )
            return data, False
        await asyncio.sleep(0.3)


async def incidents(args: argparse.Namespace) -> int:
    statuses = list(args.status) + (list(OPEN) if args.open else [])

    async def work(backend: Backend) -> int:
        found = await backend.incidents(statuses, args.playbook, args.limit)
        if args.json:
            render.print_json(found)
        elif not found:
            out.print("no incidents" + (" matching" if statuses or args.playbook else ""))
        else:
            out.print(render.incidents_table(found))
        return 0

    return await _with_backend(args, work)


async def show(args: argparse.Namespace) -> int:
    async def work(backend: Backend) -> int:
        data = await backend.incident(args.id)
        if args.json:
            render.print_json(data)
            return 0
        out.print(f"incident {data['id']}: {data['title']}", style="bold", markup=False)
        out.print(
            render.status(data["status"]),
            f" severity {data['severity']}, playbook "
            f"{data['playbook']}, {data['trigger']} by {data['triggered_by']} at "
            f"{render.when(data['created_at'])}",
            markup=False,
        )
        if data["params"]:
            out.print("params: " + json.dumps(data["params"], ensure_ascii=False), markup=False)
        if data.get("labels"):
            out.print("labels: " + json.dumps(data["labels"], ensure_ascii=False), markup=False)
        out.print(render.steps_table(data["steps"]))
        out.print("\n[bold]Timeline[/bold]")
        if args.follow:
            await _follow(backend, args.id, None, until_closed=True)
            return 0
        for entry in data["timeline"]:
            out.print(render.timeline_line(entry))
        return 0

    return await _with_backend(args, work)


async def change_status(args: argparse.Namespace) -> int:
    async def work(backend: Backend) -> int:
        incident = await backend.change_status(args.id, args.command, args.note)
        if args.json:
            render.print_json(incident)
        else:
            out.print(f"incident {incident['id']} is now", render.status(incident["status"]))
        return 0

    return await _with_backend(args, work)


async def silence(args: argparse.Namespace) -> int:
    from surge.cli.silences import command

    return await _with_backend(args, command(args))


async def customers_command(args: argparse.Namespace) -> int:
    from surge.cli.customers import command

    return await _with_backend(args, command(args))


async def report_command(args: argparse.Namespace) -> int:
    from surge.cli.report import command

    return await _with_backend(args, command(args))


async def notices_command(args: argparse.Namespace) -> int:
    from surge.cli.notices import command

    return await _with_backend(args, command(args))


async def subscribers_command(args: argparse.Namespace) -> int:
    from surge.cli.subscribers import command

    return await _with_backend(args, command(args))


# -- plugins and tokens --


async def plugins(args: argparse.Namespace) -> int:
    runtime = build_runtime(load_config(args.config))
    rows: list[dict[str, Any]] = []
    for info in runtime.plugins.plugins():
        actions = [
            name for name in runtime.actions.names() if runtime.actions.owner(name) == info.name
        ]
        rows.append(
            {
                "name": info.name,
                "version": info.version,
                "builtin": info.builtin,
                "hooks": list(info.hooks),
                "actions": actions,
            }
        )
    if args.json:
        render.print_json(rows)
        return 0
    result = render.table("PLUGIN", "VERSION", "KIND", "HOOKS", "ACTIONS")
    for row in rows:
        result.add_row(
            row["name"],
            row["version"],
            "built-in" if row["builtin"] else "plugin",
            ", ".join(row["hooks"]),
            ", ".join(row["actions"]),
        )
    out.print(result)
    return 0


async def token(args: argparse.Namespace) -> int:
    from surge.cli.tokens import create, list_tokens, revoke

    handler = {"create": create, "list": list_tokens, "revoke": revoke}[args.token_command]
    return await handler(args)


async def simulate_command(args: argparse.Namespace) -> int:
    from surge.cli.simulate import command

    return await command(args)


async def scripts_command(args: argparse.Namespace) -> int:
    from surge.cli.scripts import command

    return await command(args)


async def audit_command(args: argparse.Namespace) -> int:
    from surge.cli.audit import command

    return await _with_backend(args, command(args))


async def openapi_command(args: argparse.Namespace) -> int:
    from surge.cli.openapi import command

    return await command(args)


async def rota_command(args: argparse.Namespace) -> int:
    from surge.cli.rota import command

    return await command(args)


async def staffing_command(args: argparse.Namespace) -> int:
    from surge.cli.staffing import command

    return await command(args)


async def export_status_command(args: argparse.Namespace) -> int:
    from surge.cli.export import command

    return await command(args)


async def migrate_command(args: argparse.Namespace) -> int:
    from surge.cli.db import migrate

    return await migrate(args)


async def db_command(args: argparse.Namespace) -> int:
    from surge.cli.db import copy

    return await copy(args)
