"""Alert to first action: from the moment an alert is sent to surge's webhook to the
moment the first step's webhook call reaches a local receiver, one alert at a time.

The sender and the receiver live in this process and share one clock. The baseline is
``bench.bare --relay``: parse the alert, store one row, POST it on, i.e. the two HTTP
hops and one commit that any system needs between an alert and its first action.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from bench import payloads
from bench.procs import (
    ALERT_TOKEN,
    BenchError,
    free_port,
    start,
    start_surge,
    wait_ready,
    write_surge,
)
from bench.report import Result, percentile

PLAYBOOK = """
    id: chat-down
    title: Web chat down
    max_open: 1000000
    params:
      instance: {type: string, required: true}
    triggers:
      - alert:
          match: {alertname: ChannelDown}
          params: {instance: "{{ labels.instance }}"}
    group_by: [instance]
    steps:
      - id: tell-ops
        action: webhook
        with: {target: ops, body: {instance: "{{ params.instance }}"}}
"""


class Receiver:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.events: dict[str, asyncio.Event] = {}

    def expect(self, instance: str) -> asyncio.Event:
        self.events[instance] = asyncio.Event()
        return self.events[instance]

    async def handle(self, request: web.Request) -> web.Response:
        at = time.perf_counter()
        instance = str((await request.json())["instance"])
        self.arrived.setdefault(instance, at)
        if instance in self.events:
            self.events[instance].set()
        return web.json_response({"ok": True})


@asynccontextmanager
async def receiving() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield receiver, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def _latencies(
    url: str, token: str | None, receiver: Receiver, count: int, tag: str
) -> list[float]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    found = []
    async with aiohttp.ClientSession() as session:
        for n in range(count + 5):  # the first five warm up and are not counted
            instance = f"{tag}-{n}"
            arrived = receiver.expect(instance)
            sent = time.perf_counter()
            async with session.post(url, data=payloads.body(instance), headers=headers) as answer:
                if answer.status != 200:
                    raise BenchError(f"{url}: {answer.status} {await answer.text()}")
            try:
                await asyncio.wait_for(arrived.wait(), timeout=10)
            except TimeoutError:
                raise BenchError(f"no call reached the receiver for {instance} in 10s") from None
            if n >= 5:
                found.append((receiver.arrived[instance] - sent) * 1000)
            await asyncio.sleep(0.02)  # idle between alerts
    return found


async def run(quick: bool) -> list[Result]:
    count = 50 if quick else 300
    with tempfile.TemporaryDirectory(prefix="surge-bench-first-") as tmp:
        folder = Path(tmp)
        async with receiving() as (receiver, hook):
            extra = f"webhooks:\n  ops: {{url: {hook!r}}}\n"
            config = write_surge(folder, free_port(), {"chat-down": PLAYBOOK}, extra=extra)
            server = await start_surge(folder, config)
            try:
                url = f"{server.url}/api/v1/alerts/alertmanager"
                surge = await _latencies(url, ALERT_TOKEN, receiver, count, "surge")
            finally:
                server.service.stop()
            port = free_port()
            argv = [sys.executable, "-m", "bench.bare", "--port", str(port)]
            argv += ["--db", str(folder / "bare.db"), "--relay", hook]
            bare = start("bare-relay", argv, folder)
            try:
                await wait_ready(bare, f"http://127.0.0.1:{port}/readyz")
                relay = await _latencies(
                    f"http://127.0.0.1:{port}/alerts", None, receiver, count, "bare"
                )
            finally:
                bare.stop()
    name, base = "alert to first action", "bare relay (parse, 1 row, POST)"
    p99 = percentile(surge, 0.99)
    return [
        Result(name, "p50", percentile(surge, 0.5), "ms", base, percentile(relay, 0.5)),
        Result(
            name,
            "p99",
            p99,
            "ms",
            base,
            percentile(relay, 0.99),
            "p99 < 50 ms",
            p99 < 50,
            f"{count} alerts, one at a time",
        ),
    ]
