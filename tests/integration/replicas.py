"""Several real ``surge serve`` replicas on one PostgreSQL database, a webhook receiver that
counts deliveries, and a TCP proxy that can cut one replica off the database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from integration.services import (
    ALERT_TOKEN,
    READER_TOKEN,
    Process,
    Processes,
    eventually,
    free_port,
    run_surge,
)
from test_crash import SECRET

from surge.web.auth import hash_token

FINISHED = ("succeeded", "failed", "skipped", "unknown")


@dataclass
class Replica:
    name: str
    url: str
    config: Path
    process: Process
    http: aiohttp.ClientSession

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"{self.url}/readyz") as answer:
            return answer.status, await answer.json()

    async def leads(self) -> bool:
        try:
            status, body = await self.readyz()
        except (aiohttp.ClientError, TimeoutError):
            return False
        return status == 200 and bool(body["replica"]["leader"])

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> tuple[int, Any]:
        body = {"version": "4", "status": "firing", "receiver": "surge", "alerts": alerts}
        async with self.http.post(
            f"{self.url}/api/v1/alerts/alertmanager",
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {ALERT_TOKEN}"},
        ) as answer:
            return answer.status, await answer.json()

    def kill(self) -> float:
        """``kill -9``; returns when (monotonic seconds) it was sent."""
        os.kill(self.process.popen.pid, signal.SIGKILL)
        self.process.popen.wait()
        return time.monotonic()


@dataclass
class Cluster:
    folder: Path
    store: str
    processes: Processes
    http: aiohttp.ClientSession
    receiver_port: int
    playbooks: dict[str, str]
    prometheus: str | None = None
    replicas: list[Replica] = field(default_factory=list)

    async def start(self, count: int = 1, store: str | None = None) -> list[Replica]:
        started = [self._spawn(store or self.store) for _ in range(count)]
        for replica in started:
            await replica.process.wait_ready(self.http, f"{replica.url}/readyz")
            _, ready = await replica.readyz()
            assert ready["playbook_problems"] == [], ready["playbook_problems"]
        self.replicas.extend(started)
        return started

    def _spawn(self, store: str) -> Replica:
        name = f"replica-{len(self.replicas) + 1}-{free_port()}"
        folder = self.folder / name
        folder.mkdir(parents=True)
        port = free_port()
        config = folder / "surge.yaml"
        config.write_text(self._config(store, port), encoding="utf-8")
        argv = [sys.executable, "-m", "surge", "serve", "--config", str(config)]
        process = self.processes.start(name, argv, cwd=folder)
        return Replica(name, f"http://127.0.0.1:{port}", config, process, self.http)

    def _config(self, store: str, port: int) -> str:
        playbooks = self.folder / "playbooks"
        if not playbooks.is_dir():
            playbooks.mkdir()
            for name, text in self.playbooks.items():
                (playbooks / f"{name}.yaml").write_text(textwrap.dedent(text), "utf-8")
        hook = f"http://127.0.0.1:{self.receiver_port}"
        text = textwrap.dedent(f"""\
            store: {store}
            listen: 127.0.0.1:{port}
            playbooks: {playbooks}
            engine: {{poll_interval: 100ms}}
            auth:
              tokens:
                - {{name: alertmanager, role: alert-source, sha256: {hash_token(ALERT_TOKEN)}}}
                - {{name: tests, role: viewer, sha256: {hash_token(READER_TOKEN)}}}
            webhooks:
              fast: {{url: "{hook}/fast", secret: {SECRET}}}
              slow: {{url: "{hook}/slow", secret: {SECRET}, timeout: 30s}}
            """)
        if self.prometheus is not None:
            text += f"prometheus: {{url: {self.prometheus}, interval: 1s, timeout: 2s}}\n"
        return text

    def alive(self) -> list[Replica]:
        return [replica for replica in self.replicas if replica.process.running]

    async def leader(self, timeout: float = 15.0) -> Replica:  # noqa: ASYNC109
        async def found() -> Replica | None:
            leading = [replica for replica in self.alive() if await replica.leads()]
            assert len(leading) <= 1, f"two leaders: {[r.name for r in leading]}"
            return leading[0] if leading else None

        return await eventually(found, "one replica to lead", timeout=timeout, interval=0.05)

    async def trigger(self, playbook: str) -> int:
        """``surge trigger`` on the shared store, as an operator's CLI would."""
        code, output = await run_surge(
            "trigger", playbook, "--json", "--config", str(self.replicas[0].config)
        )
        assert code == 0, output
        return int(json.loads(output)["id"])

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.store) as db:
            return db.execute(sql, params).fetchall()

    def steps(self, incident_id: int) -> list[tuple[str, int, str]]:
        return [
            (step, attempt, status)
            for step, attempt, status in self.query(
                "SELECT step_id, attempt, status FROM step_runs WHERE incident_id = %s"
                " AND phase = 'steps' ORDER BY id",
                incident_id,
            )
        ]

    async def settled(self, incident_id: int, steps: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Until the incident's ``steps`` step runs have all finished."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.steps(incident_id)
            if len(found) == steps and all(s in FINISHED for _, _, s in found):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"incident {incident_id} not finished after {timeout:g}s: {found}")
            await asyncio.sleep(0.1)


class Proxy:
    """TCP on a loopback port, forwarded to PostgreSQL; ``cut()`` drops every connection
    and refuses new ones (the database is gone for whoever uses this port), ``restore()``
    accepts again."""

    def __init__(self, target_port: int = 5432) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._pipes.add(writer)  # at once: a cut while this connects must close it too
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.add(up_writer)
        if self._server is None or writer.transport.is_closing():  # cut meanwhile
            for each in (writer, up_writer):
                each.transport.abort()
            return
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._pipes.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
