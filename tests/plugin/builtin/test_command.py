"""The ``command`` action: argv from config, no shell, an environment allow-list, a timeout."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from surge.config import CommandTarget

ARGV_DUMP = "import json, sys; print(json.dumps(sys.argv[1:]))"
PLAYBOOK = """
    id: pb
    title: Command
    params: {extra: {type: string, default: ""}}
    steps:
      - id: run
        action: command
        with: WITH
        retry: {attempts: 2, backoff: 10ms}
"""


def playbook(with_: str) -> str:
    return PLAYBOOK.replace("WITH", with_)


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def commands(config, tmp_path):
    def with_commands(**targets: CommandTarget):
        return replace(config, commands=targets)

    return with_commands


async def test_arguments_reach_the_program_literally_without_a_shell(
    commands, tmp_path, write_playbook, make_runtime, wait_settled
):
    marker = tmp_path / "pwned"
    hostile = f"; touch {marker}"
    config = commands(argv=CommandTarget((sys.executable, "-c", ARGV_DUMP, "fixed")))
    args = "['{{ params.extra }}', '$(touch MARKER)', '*', 'a b', '2>&1']"
    write_playbook("pb", playbook(f"{{name: argv, args: {args}}}".replace("MARKER", str(marker))))
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {"extra": hostile}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    assert json.loads(run.result["stdout"]) == [
        "fixed",
        hostile,
        f"$(touch {marker})",
        "*",
        "a b",
        "2>&1",
    ]
    assert run.result["exit_code"] == 0
    assert not marker.exists()


async def test_only_allow_listed_variables_pass(
    commands, monkeypatch, write_playbook, make_runtime, wait_settled
):
    env = shutil.which("env")
    assert env is not None
    monkeypatch.setenv("SURGE_TEST_ALLOWED", "yes")
    monkeypatch.setenv("SURGE_TEST_SECRET", "do-not-pass")
    config = commands(env=CommandTarget((env,), env=("SURGE_TEST_ALLOWED", "SURGE_TEST_UNSET")))
    write_playbook("pb", playbook("{name: env}"))
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    seen = dict(line.split("=", 1) for line in run.result["stdout"].splitlines())
    assert seen == {
        "SURGE_TEST_ALLOWED": "yes",
        "SURGE_INCIDENT_ID": str(incident.id),
        "SURGE_STEP": "run",
        "SURGE_IDEMPOTENCY_KEY": f"{incident.id}:steps:run:1",
        "PATH": "/bin:/usr/bin",
    }


async def test_a_non_zero_exit_fails_with_stderr(
    commands, write_playbook, make_runtime, wait_settled
):
    script = "import sys; print('partial'); sys.stderr.write('disk full on /var'); sys.exit(3)"
    config = commands(fails=CommandTarget((sys.executable, "-c", script)))
    write_playbook("pb", playbook("{name: fails}"))
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.attempt, run.status.value) for run in runs] == [(1, "failed"), (2, "failed")]
    assert runs[0].error == "fails exited with 3: disk full on /var"


SLEEPER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
with open(sys.argv[1], "w") as out:
    out.write(f"{os.getpid()} {child.pid}")
time.sleep(60)
"""


@pytest.mark.parametrize(
    ("command_timeout", "step_timeout", "error"),
    [
        # long enough for the child to start and write its pids even on a loaded machine
        (2.0, "1m", "slow: still running after 2s; killed"),
        (60.0, "2s", "timed out after 2s"),
    ],
    ids=["command-timeout", "step-timeout"],
)
async def test_a_command_that_outlives_its_timeout_is_killed_with_its_children(
    command_timeout,
    step_timeout,
    error,
    commands,
    tmp_path,
    write_playbook,
    make_runtime,
    wait_settled,
    eventually,
):
    pids = tmp_path / "pids"
    argv = (sys.executable, "-c", SLEEPER, str(pids))
    config = commands(slow=CommandTarget(argv, timeout=command_timeout))
    write_playbook(
        "pb",
        f"""
        id: pb
        title: Slow
        steps: [{{id: run, action: command, with: {{name: slow}}, timeout: {step_timeout}}}]
    """,
    )
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert (run.status.value, run.error) == ("failed", error)
    leader, child = (int(pid) for pid in pids.read_text().split())
    assert not alive(leader)
    await eventually(lambda: not alive(child), within=3, what="the child to be gone")


async def test_an_unknown_command_fails_with_the_known_names(
    commands, write_playbook, make_runtime, wait_settled
):
    config = commands(restart=CommandTarget(("/bin/true",)), drain=CommandTarget(("/bin/true",)))
    write_playbook("pb", playbook("{name: reboot}"))
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.attempt, run.status.value) for run in runs] == [(1, "failed")]
    assert runs[0].error == "no command 'reboot' in config (known: drain, restart)"


async def test_a_missing_program_fails_without_retry(
    commands, tmp_path, write_playbook, make_runtime, wait_settled
):
    config = commands(gone=CommandTarget((str(tmp_path / "no-such-program"),)))
    write_playbook("pb", playbook("{name: gone}"))
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.attempt, run.status.value) for run in runs] == [(1, "failed")]
    assert runs[0].error == f"cannot run {tmp_path / 'no-such-program'}: No such file or directory"


async def test_a_background_process_left_running_does_not_hold_the_step(
    commands, write_playbook, make_runtime, wait_settled
):
    script = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'],"
        " start_new_session=True)\n"
        "print(child.pid)\n"
    )
    config = commands(starts=CommandTarget((sys.executable, "-c", script), timeout=60.0))
    write_playbook("pb", playbook("{name: starts}"))
    runtime = await make_runtime(config=config)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id, timeout=5)
    background = int(run.result["stdout"])
    try:
        assert (run.status.value, run.result["exit_code"]) == ("succeeded", 0)
        assert alive(background)  # it escaped the process group, and is none of surge's business
    finally:
        os.kill(background, signal.SIGKILL)
