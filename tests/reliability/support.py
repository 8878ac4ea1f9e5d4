"""What the reliability tests share: a receiver that counts every arrival, ``surge serve``
started and killed as a real process, and the store read directly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

SOAK = bool(os.environ.get("SURGE_SOAK"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Receiver:
    """Counts every request by path and ``Idempotency-Key`` (or, for commands, the key in
    the body); ``processed`` keeps the first arrival of each key only, as the docs tell
    receivers to. ``answers`` maps a path to the status it gives for a step's attempt
    (the key's last part; 200 when absent); ``delay`` maps a path to seconds it takes."""

    arrivals: Counter[tuple[str, str]] = field(default_factory=Counter)
    processed: dict[tuple[str, str], Any] = field(default_factory=dict)
    answers: dict[str, dict[int, int]] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        name = request.match_info["name"]
        key = request.headers.get("Idempotency-Key") or body.decode()
        self.arrivals[(name, key)] += 1
        await asyncio.sleep(self.delay.get(name, 0))
        attempt = key.rsplit(":", 1)[-1]
        status = self.answers.get(name, {}).get(int(attempt) if attempt.isdigit() else 0, 200)
        if status != 200:
            return web.json_response({"error": "injected"}, status=status)
        self.processed.setdefault((name, key), body)
        return web.json_response({"ok": True})

    def count(self, name: str) -> int:
        return sum(n for (path, _), n in self.arrivals.items() if path == name)


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{name}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@dataclass
class Server:
    """``surge serve`` as a real process, its output in ``log``."""

    config: Path
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)  # added to this process's
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, ready: bool = True) -> None:
        self.spawn()
        await self.wait_answering("/readyz" if ready else "/healthz")

    def spawn(self) -> None:
        self.starts += 1
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "surge", "serve", "--config", str(self.config)],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
            )

    async def wait_answering(self, path: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.poll() is None, self.tail()
                try:
                    async with session.get(self.url + path) as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"surge serve did not answer {path} in {timeout:g}s\n{self.tail()}")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + path, headers=headers) as answer,
        ):
            if answer.content_type == "application/json":
                return answer.status, await answer.json()
            return answer.status, await answer.text()


async def eventually(check: Any, what: str, timeout: float = 30.0) -> Any:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")
