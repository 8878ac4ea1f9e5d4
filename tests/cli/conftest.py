"""Fixtures for the CLI tests: a config on disk, an in-process ``surge``, a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli.helpers import Cli, Result, write_config
from support.serve import Server, free_port, serve

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
    with serve(write_config(folder, f"127.0.0.1:{port}"), f"http://127.0.0.1:{port}", folder) as up:
        yield up
