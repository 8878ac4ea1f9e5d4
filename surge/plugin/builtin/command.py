"""``command``: run a program named in config, never through a shell.

The playbook picks a command by name and may add arguments; the program and its fixed
arguments come only from config. The child sees only the environment variables the
command's ``env`` allow-list names, plus SURGE_INCIDENT_ID, SURGE_STEP and
SURGE_IDEMPOTENCY_KEY (and ``PATH=/bin:/usr/bin`` when the allow-list has no PATH). A
command still running after its configured ``timeout``, or when the step is cut off, is
killed with its whole process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Iterable
from typing import IO, Any

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.config import CommandTarget, Config
from surge.plugin import hookimpl

_KEEP = 4000  # bytes of output kept on the timeline


async def _command(ctx: ActionContext) -> ActionResult:
    extra = [str(arg) for arg in ctx.args.get("args") or []]
    return await run_configured(
        ctx.config,
        str(ctx.args["name"]),
        extra,
        {
            "SURGE_INCIDENT_ID": str(ctx.incident.id),
            "SURGE_STEP": ctx.step_id,
            "SURGE_IDEMPOTENCY_KEY": ctx.idempotency_key,
        },
    )


async def run_configured(
    config: Config, name: str, extra: list[str], surge_env: dict[str, str]
) -> dict[str, Any]:
    """Run the command named ``name`` under ``commands:`` with ``extra`` arguments;
    ``{exit_code, stdout, stderr}``, or ActionError when it cannot run or exits non-zero."""
    command = config.commands.get(name)
    if command is None:
        known = ", ".join(sorted(config.commands)) or "none configured"
        raise ActionError(f"no command {name!r} in config (known: {known})", retryable=False)
    env = {key: os.environ[key] for key in command.env if key in os.environ}
    env.update(surge_env)
    env.setdefault("PATH", os.defpath)
    # Output goes to files, not pipes: a process the command leaves running in the
    # background cannot hold surge up by keeping a pipe open.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = await _run(name, command, extra, env, out, err)
        stdout, stderr = _tail(out), _tail(err)
    if code != 0:
        raise ActionError(f"{name} exited with {code}: {stderr[-300:]}")
    return {"exit_code": code, "stdout": stdout, "stderr": stderr}


async def _run(
    name: str,
    command: CommandTarget,
    extra: list[str],
    env: dict[str, str],
    out: IO[bytes],
    err: IO[bytes],
) -> int:
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv,
            *extra,
            env=env,
            cwd=command.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    except OSError as error:
        raise ActionError(
            f"cannot run {command.argv[0]}: {error.strerror}", retryable=False
        ) from None
    try:
        return await asyncio.wait_for(process.wait(), timeout=command.timeout)
    except (TimeoutError, asyncio.CancelledError) as stop:
        _kill(process)
        await process.wait()
        if isinstance(stop, asyncio.CancelledError):
            raise
        raise ActionError(f"{name}: still running after {command.timeout:g}s; killed") from None


def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the command and everything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(file: IO[bytes]) -> str:
    size = file.seek(0, os.SEEK_END)
    file.seek(max(0, size - _KEEP))
    return file.read().decode("utf-8", errors="replace")


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="command",
            run=_command,
            args={
                "name": Arg("string", required=True, description="a command under `commands:`"),
                "args": Arg("list", description="arguments appended to the configured argv"),
            },
            description="Run a command named in config, without a shell, with allowed env vars.",
        )
    ]
