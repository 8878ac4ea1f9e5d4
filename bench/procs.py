"""Processes the benchmarks start on loopback: ``surge serve`` and the baselines.

Each runs from ``subprocess.Popen`` with its output in a log file in the run's folder,
is waited for on its readiness URL, and is stopped (terminate, then kill) at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from surge.web.auth import hash_token

ALERT_TOKEN = "surge_bench-alert-source-token"
READER_TOKEN = "surge_bench-viewer-token"
ROOT = Path(__file__).resolve().parents[1]


class BenchError(RuntimeError):
    """A benchmark could not be run; the message says what is missing."""


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def rss_mb(self) -> tuple[float, float]:
        """Resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return _kib(fields["VmRSS"]) / 1024, _kib(fields["VmHWM"]) / 1024


def _kib(text: str) -> float:
    return float(text.split()[0])


def start(
    name: str,
    argv: Sequence[str],
    folder: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Service:
    log = folder / f"{name}.log"
    with log.open("wb") as output:
        popen = subprocess.Popen(
            list(argv),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env} if env else None,
            cwd=cwd,
        )
    return Service(name, popen, log)


async def wait_ready(service: Service, url: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if service.popen.poll() is not None:
                raise BenchError(f"{service.name} exited early:\n{service.log_tail()}")
            try:
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    service.stop()
    raise BenchError(f"{service.name} did not answer {url} in {timeout:g}s:\n{service.log_tail()}")


@dataclass
class Surge:
    url: str
    folder: Path
    config: Path
    service: Service

    @property
    def store(self) -> Path:
        return self.folder / "surge.db"


def write_surge(
    folder: Path,
    port: int,
    playbooks: Mapping[str, str],
    extra: str = "",
    engine: str = "{poll_interval: 250ms}",
) -> Path:
    """A config and playbooks for ``surge serve`` in ``folder``; returns the config."""
    (folder / "playbooks").mkdir(parents=True, exist_ok=True)
    for name, text in playbooks.items():
        (folder / "playbooks" / f"{name}.yaml").write_text(textwrap.dedent(text))
    config = folder / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""\
            store: sqlite:///{folder / "surge.db"}
            listen: 127.0.0.1:{port}
            playbooks: {folder / "playbooks"}
            engine: {engine}
            auth:
              tokens:
                - {{name: alertmanager, role: alert-source, sha256: {hash_token(ALERT_TOKEN)}}}
                - {{name: bench, role: viewer, sha256: {hash_token(READER_TOKEN)}}}
            """)
        + extra
    )
    return config


async def start_surge(folder: Path, config: Path) -> Surge:
    """``surge serve`` as shipped (access log included) on the config's port; ready when
    /readyz answers 200."""
    port = int(config.read_text().split("listen: 127.0.0.1:")[1].split()[0])
    argv = [sys.executable, "-m", "surge", "serve", "--config", str(config)]
    service = start("surge", argv, folder, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    await wait_ready(service, f"{url}/readyz")
    return Surge(url, folder, config, service)
