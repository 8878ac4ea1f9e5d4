"""Real services on loopback for the integration tests: Prometheus, Alertmanager, a metrics
exporter the test controls, and ``surge serve`` itself (the fixtures are in conftest.py).

Every service is its real binary started with ``subprocess.Popen`` on a free 127.0.0.1
port, with its data in the test's ``tmp_path`` and its output in a ``*.log`` file there,
and it is stopped at teardown (terminate, then kill if it lingers). A missing binary fails
the test and says to run ./scripts/test, which installs the Debian packages.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast

import aiohttp
import pytest

from surge.web.auth import hash_token

ROOT = Path(__file__).resolve().parents[2]
TRIGGERS_DOC = ROOT / "docs" / "triggers.md"
ALERT_TOKEN = "surge_integration-alert-source-token"
READER_TOKEN = "surge_integration-viewer-token"
READY_TIMEOUT = 30.0  # seconds for a service to answer its readiness check
STOP_TIMEOUT = 15.0  # seconds between terminate and kill
INSTALL_HINT = (
    "run ./scripts/test, which installs the Debian packages prometheus and prometheus-alertmanager"
)
# the placeholders in docs/triggers.md's receivers snippet, replaced by the tests' values
DOC_SURGE_URL = "http://surge.example.internal:8080"
DOC_TOKEN = "PASTE-THE-ALERT-SOURCE-TOKEN-HERE"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed: {INSTALL_HINT}", pytrace=False)
    return found


def doc_block(marker: str, language: str = "yaml", doc: Path = TRIGGERS_DOC) -> str:
    """The fenced block right after ``<!-- MARKER -->`` in the doc."""
    pattern = rf"<!-- {re.escape(marker)} -->\n```{language}\n(.*?)\n```"
    found = re.search(pattern, doc.read_text(encoding="utf-8"), re.S)
    assert found is not None, f"{doc.name} has no ```{language} block after <!-- {marker} -->"
    return found.group(1) + "\n"


def receivers_snippet(webhook_base: str, token: str = ALERT_TOKEN) -> str:
    """docs/triggers.md's Alertmanager ``receivers`` snippet, word for word, with its
    placeholder URL and token replaced."""
    text = doc_block("snippet: alertmanager-receivers")
    assert DOC_SURGE_URL in text and DOC_TOKEN in text, "the snippet's placeholders changed"
    return text.replace(DOC_SURGE_URL, webhook_base).replace(DOC_TOKEN, token)


def alertmanager_config(
    webhook_base: str, token: str = ALERT_TOKEN, group_by: tuple[str, ...] = ("alertname",)
) -> str:
    """A route that notifies at once (group_wait 0s, group_interval 1s, repeat 4h) to the
    documented receiver; ``webhook_base`` is where surge (or a stand-in) listens."""
    route = textwrap.dedent(f"""\
        route:
          receiver: surge
          group_by: [{", ".join(group_by)}]
          group_wait: 0s
          group_interval: 1s
          repeat_interval: 4h
        """)
    return route + receivers_snippet(webhook_base, token)


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    what: str,
    timeout: float = 15.0,  # noqa: ASYNC109
    interval: float = 0.1,
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        last = await check()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")
        await asyncio.sleep(interval)


async def stays(
    check: Callable[[], Awaitable[bool]], what: str, seconds: float, interval: float = 0.1
) -> None:
    """``check`` holds each time it is asked during ``seconds`` (that something does not
    happen can only be watched for a while)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert await check(), f"{what}: no longer true"
        await asyncio.sleep(interval)


async def get_json(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
    async with session.get(url, **kwargs) as answer:
        assert answer.status == 200, f"GET {url}: {answer.status} {await answer.text()}"
        return await answer.json()


def sample_value(text: str, name: str, labels: Mapping[str, str]) -> float:
    """The sum of the samples named ``name`` in Prometheus text format whose labels include
    ``labels`` (0 when there are none)."""
    total = 0.0
    for line in text.splitlines():
        found = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?", line)
        if found is None or found.group(1) != name:
            continue
        have = dict(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', found.group(2) or ""))
        if all(have.get(key) == value for key, value in labels.items()):
            total += float(found.group(3))
    return total


# -- processes ----------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    popen: subprocess.Popen[bytes]

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate and wait; kill if it has not stopped in time. Safe to call twice."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    async def wait_ready(self, session: aiohttp.ClientSession, url: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.popen.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.popen.returncode} before it was ready:\n"
                    f"{' '.join(self.argv)}\n{self.log_tail()}"
                )
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{self.name} was not ready after {READY_TIMEOUT:g}s ({url}):\n"
                    f"{self.log_tail()}"
                )
            await asyncio.sleep(0.05)


class Processes:
    """Everything one test started; stopped in reverse order at teardown."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Process] = []

    def start(self, name: str, argv: list[str], cwd: Path | None = None) -> Process:
        log = self.folder / f"{name}-{len(self.started)}.log"
        with log.open("wb") as output:
            popen = subprocess.Popen(
                argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd
            )
        process = Process(name, argv, log, popen)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


# -- the exporter ---------------------------------------------------------------------------


class Exporter:
    """Serves ``/metrics`` in Prometheus text format with the values the test sets."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"

    def set(self, name: str, value: float, **labels: str) -> None:
        self.set_many((name, labels, value))

    def set_many(self, *series: tuple[str, Mapping[str, str], float]) -> None:
        """Set several series at once, so that one scrape sees all of them."""
        with self._lock:
            for name, labels, value in series:
                self._values[(name, tuple(sorted(labels.items())))] = value

    def text(self) -> str:
        with self._lock:
            values = sorted(self._values.items())
        lines, typed = [], set()
        for (name, labels), value in values:
            if name not in typed:
                typed.add(name)
                lines.append(f"# TYPE {name} gauge")
            shown = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
            lines.append(f"{name}{{{shown}}} {value!r}")
        return "\n".join(lines) + "\n"

    @contextmanager
    def serving(self) -> Iterator[Exporter]:
        """Serve from a thread of its own, so that scrapes never wait on the test's loop."""
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = exporter.text().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=server.serve_forever, name="exporter", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# -- Alertmanager ---------------------------------------------------------------------------


@dataclass
class Alertmanager:
    url: str
    port: int
    process: Process
    session: aiohttp.ClientSession

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Send alerts to it the way Prometheus does (API v2)."""
        async with self.session.post(f"{self.url}/api/v2/alerts", json=alerts) as answer:
            assert answer.status == 200, f"Alertmanager: {answer.status} {await answer.text()}"

    async def metric(self, name: str, **labels: str) -> float:
        async with self.session.get(f"{self.url}/metrics") as answer:
            return sample_value(await answer.text(), name, labels)


class StartAlertmanager:
    """``await alertmanager(config_text)``: Alertmanager running that config, ready."""

    def __init__(self, processes: Processes, folder: Path, http: aiohttp.ClientSession) -> None:
        self.processes = processes
        self.folder = folder
        self.http = http

    async def __call__(self, config: str) -> Alertmanager:
        executable = binary("prometheus-alertmanager")
        port = free_port()
        folder = self.folder / f"alertmanager-{port}"
        folder.mkdir()
        (folder / "alertmanager.yml").write_text(config, encoding="utf-8")
        process = self.processes.start(
            "alertmanager",
            [
                executable,
                f"--config.file={folder / 'alertmanager.yml'}",
                f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
        )
        url = f"http://127.0.0.1:{port}"
        await process.wait_ready(self.http, f"{url}/-/ready")
        return Alertmanager(url, port, process, self.http)


# -- Prometheus -----------------------------------------------------------------------------


@dataclass
class Prometheus:
    url: str
    port: int
    process: Process
    session: aiohttp.ClientSession
    argv: list[str] = field(default_factory=list)

    async def query(self, expression: str) -> list[dict[str, Any]]:
        url = f"{self.url}/api/v1/query"
        body = await get_json(self.session, url, params={"query": expression})
        assert body["status"] == "success", body
        return cast(list[dict[str, Any]], body["data"]["result"])

    async def wait_series(self, expression: str, count: int) -> None:
        """Until the query returns ``count`` series (the exporter has been scraped)."""

        async def enough() -> bool:
            return len(await self.query(expression)) == count

        await eventually(enough, f"{count} series of {expression!r} in Prometheus")

    async def eventually_scraped(self) -> None:
        """Until Prometheus has scraped its targets once."""

        async def up() -> bool:
            return bool(await self.query("up == 1"))

        await eventually(up, "Prometheus to scrape its targets")

    async def wait_alertmanager(self) -> None:
        """Until Prometheus has found its Alertmanager: an alert that fires before then
        waits for the resend delay (1 minute)."""

        async def found() -> bool:
            body = await get_json(self.session, f"{self.url}/api/v1/alertmanagers")
            return bool(body["data"]["activeAlertmanagers"])

        await eventually(found, "Prometheus to find Alertmanager")


def backfill(folder: Path, history: str) -> None:
    source = folder / "history.om"
    source.write_text(history, encoding="utf-8")
    done = subprocess.run(
        [
            binary("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(source),
            str(folder / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"promtool could not backfill: {done.stdout}{done.stderr}"


class StartPrometheus:
    """``await prometheus(rules=..., alertmanager=...)``: Prometheus scraping the exporter
    every second and evaluating rules every second; ``restart(old)`` stops it and starts
    it again on the same port and data."""

    def __init__(
        self, processes: Processes, folder: Path, http: aiohttp.ClientSession, exporter: Exporter
    ) -> None:
        self.processes = processes
        self.folder = folder
        self.http = http
        self.exporter = exporter

    async def __call__(
        self,
        *,
        rules: str | None = None,
        alertmanager: Alertmanager | None = None,
        history: str | None = None,
    ) -> Prometheus:
        """``history``: OpenMetrics text (samples with timestamps, ending ``# EOF``) that
        ``promtool tsdb create-blocks-from openmetrics`` writes into the data first, so
        that ``rate(x[5m])`` has the five minutes a fresh Prometheus would lack."""
        executable = binary("prometheus")
        port = free_port()
        folder = self.folder / f"prometheus-{port}"
        folder.mkdir()
        if history is not None:
            backfill(folder, history)
        config = textwrap.dedent(f"""\
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: exporter
                static_configs:
                  - targets: ["{self.exporter.target}"]
            """)
        if rules is not None:
            (folder / "rules.yml").write_text(rules, encoding="utf-8")
            config += f'rule_files: ["{folder / "rules.yml"}"]\n'
        if alertmanager is not None:
            assert alertmanager.process.running, "start Alertmanager before Prometheus"
            config += textwrap.dedent(f"""\
                alerting:
                  alertmanagers:
                    - static_configs:
                        - targets: ["127.0.0.1:{alertmanager.port}"]
                """)
        (folder / "prometheus.yml").write_text(config, encoding="utf-8")
        argv = [
            executable,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        return await self._start(argv, port)

    async def restart(self, old: Prometheus) -> Prometheus:
        old.process.stop()
        return await self._start(old.argv, old.port)

    async def _start(self, argv: list[str], port: int) -> Prometheus:
        process = self.processes.start("prometheus", argv)
        url = f"http://127.0.0.1:{port}"
        await process.wait_ready(self.http, f"{url}/-/ready")
        return Prometheus(url, port, process, self.http, argv)


# -- surge ----------------------------------------------------------------------------------


@dataclass
class Surge:
    url: str
    config: Path
    process: Process
    session: aiohttp.ClientSession

    async def get(self, path: str) -> Any:
        headers = {"Authorization": f"Bearer {READER_TOKEN}"}
        return await get_json(self.session, f"{self.url}{path}", headers=headers)

    async def incidents(self) -> list[dict[str, Any]]:
        body = await self.get("/api/v1/incidents")
        return sorted(body["incidents"], key=lambda item: int(item["id"]))

    async def incident(self, incident_id: int) -> dict[str, Any]:
        return cast(dict[str, Any], await self.get(f"/api/v1/incidents/{incident_id}"))

    async def status(self, incident_id: int) -> str:
        return str((await self.incident(incident_id))["status"])

    async def timeline_kinds(self, incident_id: int) -> list[str]:
        return [entry["kind"] for entry in (await self.incident(incident_id))["timeline"]]

    async def readyz(self) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/readyz") as answer:
            return cast(dict[str, Any], await answer.json())

    async def trigger_health(self, name: str) -> str:
        """``ok`` or ``unknown: why`` for one metric trigger, ``PLAYBOOK#INDEX``, in /readyz."""
        return str((await self.readyz())["triggers"]["triggers"].get(name, "absent"))

    async def metric(self, name: str, **labels: str) -> float:
        async with self.session.get(f"{self.url}/metrics") as answer:
            assert answer.status == 200
            return sample_value(await answer.text(), name, labels)

    async def wait_metric(self, expected: float, name: str, **labels: str) -> None:
        """Until ``/metrics`` shows ``expected`` (metrics are updated a moment after the
        store, e.g. at the end of an evaluation round)."""

        async def reached() -> bool:
            return await self.metric(name, **labels) == expected

        await eventually(reached, f"{name}{labels} == {expected:g}", timeout=10)

    async def post_alerts(self, body: bytes, token: str = ALERT_TOKEN) -> tuple[int, Any]:
        async with self.session.post(
            f"{self.url}/api/v1/alerts/alertmanager",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        ) as answer:
            return answer.status, await answer.json()

    async def cli(self, *args: str) -> tuple[int, str]:
        """``surge ARGS --config CFG`` (on the store directly): exit code and output."""
        return await run_surge(*args, "--config", str(self.config))


async def run_surge(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str]:
    """``python -m surge ARGS``: exit code, and stdout followed by stderr; ``env`` is
    added to this process's environment."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "surge",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env} if env else None,
        cwd=cwd,
    )
    try:
        output, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, output.decode() + errors.decode()


def surge_config(folder: Path, port: int, prometheus: str | None, interval: str = "1s") -> str:
    text = textwrap.dedent(f"""\
        store: sqlite:///{folder / "surge.db"}
        listen: 127.0.0.1:{port}
        playbooks: {folder / "playbooks"}
        engine: {{lease: 1s, poll_interval: 50ms}}
        auth:
          tokens:
            - {{name: alertmanager, role: alert-source, sha256: {hash_token(ALERT_TOKEN)}}}
            - {{name: tests, role: viewer, sha256: {hash_token(READER_TOKEN)}}}
        """)
    if prometheus is not None:
        text += f"prometheus: {{url: {prometheus}, interval: {interval}, timeout: 2s}}\n"
    return text


def write_surge(
    folder: Path,
    port: int,
    playbooks: Mapping[str, str],
    prometheus: str | None = None,
    interval: str = "1s",
) -> Path:
    """The config and playbooks of a surge instance in ``folder``; returns the config."""
    (folder / "playbooks").mkdir(parents=True)
    for name, text in playbooks.items():
        (folder / "playbooks" / f"{name}.yaml").write_text(textwrap.dedent(text), "utf-8")
    config = folder / "surge.yaml"
    config.write_text(surge_config(folder, port, prometheus, interval), encoding="utf-8")
    return config


class StartSurge:
    """``await surge({"name": playbook_yaml}, prometheus=..., interval="1s")``: ``surge
    serve`` on the chosen port with a SQLite store in tmp_path, an alert-source token
    (``ALERT_TOKEN``) and a viewer token (``READER_TOKEN``) in ``auth.tokens``."""

    def __init__(
        self, processes: Processes, folder: Path, http: aiohttp.ClientSession, port: int
    ) -> None:
        self.processes = processes
        self.folder = folder
        self.http = http
        self.port = port

    async def __call__(
        self,
        playbooks: Mapping[str, str],
        *,
        prometheus: Prometheus | None = None,
        interval: str = "1s",
    ) -> Surge:
        folder = self.folder / "surge"
        config = write_surge(
            folder, self.port, playbooks, prometheus.url if prometheus else None, interval
        )
        process = self.processes.start(
            "surge", [sys.executable, "-m", "surge", "serve", "--config", str(config)], cwd=folder
        )
        url = f"http://127.0.0.1:{self.port}"
        await process.wait_ready(self.http, f"{url}/readyz")
        server = Surge(url, config, process, self.http)
        ready = await server.readyz()
        assert ready["playbook_problems"] == [], ready["playbook_problems"]
        assert ready["playbooks"] == len(playbooks), ready
        return server
