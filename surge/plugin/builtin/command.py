"""``command``: run a program named in config, never through a shell.

The playbook picks a command by name and may add arguments; the program and its fixed
arguments come only from config. The child sees only the environment variables the
command's ``env`` allow-list names, plus SURGE_INCIDENT_ID, SURGE_STEP and
SURGE_IDEMPOTENCY_KEY.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterable

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl

_KEEP = 4000  # bytes of output kept on the timeline


async def _command(ctx: ActionContext) -> ActionResult:
    name = str(ctx.args["name"])
    command = ctx.config.commands.get(name)
    if command is None:
        known = ", ".join(sorted(ctx.config.commands)) or "none configured"
        raise ActionError(f"no command {name!r} in config (known: {known})", retryable=False)
    extra = [str(arg) for arg in ctx.args.get("args") or []]
    env = {key: os.environ[key] for key in command.env if key in os.environ}
    env.update({"SURGE_INCIDENT_ID": str(ctx.incident.id), "SURGE_STEP": ctx.step_id,
                "SURGE_IDEMPOTENCY_KEY": ctx.idempotency_key})
    env.setdefault("PATH", os.defpath)
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv, *extra, env=env, cwd=command.cwd, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise ActionError(f"cannot run {command.argv[0]}: {error.strerror}", retryable=False) from None
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=command.timeout)
    except (TimeoutError, asyncio.CancelledError) as stop:
        _kill(process)
        await process.wait()
        if isinstance(stop, asyncio.CancelledError):
            raise
        raise ActionError(f"{name}: still running after {command.timeout:g}s; killed") from None
    result = {"exit_code": process.returncode, "stdout": _tail(stdout), "stderr": _tail(stderr)}
    if process.returncode != 0:
        raise ActionError(f"{name} exited with {process.returncode}: {_tail(stderr)[-300:]}")
    return result


def _kill(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(data: bytes) -> str:
    return data[-_KEEP:].decode("utf-8", errors="replace")


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [ActionSpec(
        name="command", run=_command,
        args={"name": Arg("string", required=True, description="a command under `commands:`"),
              "args": Arg("list", description="arguments appended to the configured argv")},
        description="Run a command named in config, without a shell, with an allowed environment.",
    )]
