"""Fixtures for the CLI tests: a config on disk, an in-process ``surge``, a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli.helpers import Cli, Result, Server, free_port, write_config

from surge.cli import main
from surge.cli.render import err, out


@pytest.fixture
def cli_config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def cli(
    cli_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """``cli("list", "--json")``: run ``surge`` in this process with the test's config.

    ``config=None`` leaves ``--config`` off; usage errors come back as exit code 2.
    """
    monkeypatch.setattr(out, "width", 200)  # no folded table cells or wrapped messages
    monkeypatch.setattr(err, "width", 200)
    for name in ("SURGE_SERVER", "SURGE_TOKEN", "SURGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, config: Path | None = cli_config) -> Result:
        capsys.readouterr()
        argv = [*args, "--config", str(config)] if config is not None else list(args)
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real ``surge serve`` on a free loopback port; always stopped at the end."""
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    config = write_config(folder, f"127.0.0.1:{port}")
    log = folder / "server.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURGE_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "surge", "serve", "--config", str(config)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    running = Server(f"http://127.0.0.1:{port}", config, log, process)
    try:
        _wait_ready(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise AssertionError(f"surge serve exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"surge serve not ready after {timeout}s:\n{server.output()}")
        time.sleep(0.05)
