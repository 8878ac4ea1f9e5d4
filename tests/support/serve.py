"""A real ``surge serve`` on a free loopback port, for tests that want the whole server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    config: Path
    log: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(config: Path, url: str, folder: Path) -> Iterator[Server]:
    """Run ``surge serve --config CONFIG`` (which listens at ``url``) until the block ends."""
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
    running = Server(url, config, log, process)
    try:
        wait_ready(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(server: Server, timeout: float = 20.0) -> None:
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
