"""Memory: resident memory of ``surge serve`` with 10,000 incidents in its store, 1,000
of them open (each waiting for an acknowledgement), after it has taken them up and
answered the API, against the same server on an empty store.

The store is filled through the engine (``trigger`` and ``resolve``, as the CLI would):
every incident has its params, opening entry and step runs; the 9,000 closed ones also
have their status changes. The figure is the peak (VmHWM), the worst the server reached.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import aiohttp

from bench.procs import READER_TOKEN, Surge, free_port, start_surge, write_surge
from bench.report import Result
from surge.config import Config
from surge.runtime import build_runtime
from surge.store.records import IncidentStatus

PLAYBOOK = """
    id: waiting
    title: Waiting for an acknowledgement
    params:
      region: {type: string, default: north}
    steps:
      - {id: announce, action: log, with: {message: "opened in {{ params.region }}"}}
      - {id: wait-ack, action: wait, with: {until: acknowledged, timeout: 1h}}
"""


async def fill(folder: Path, total: int, still_open: int) -> None:
    config = Config(store=f"sqlite:///{folder / 'surge.db'}", playbooks=folder / "playbooks")
    runtime = build_runtime(config, load_entry_points=False)
    await runtime.open()
    try:
        engine = runtime.engine
        for n in range(total):
            incident = await engine.trigger("waiting", {"region": f"r{n % 50}"}, actor="bench")
            if n >= still_open:
                await engine.change_status(incident.id, IncidentStatus.RESOLVED, "bench", "done")
    finally:
        await runtime.close()


async def _settled(server: Surge, waiting: int) -> None:
    """Until the server has run every open incident's first step and parked it waiting,
    then read the API as a console would."""
    headers = {"Authorization": f"Bearer {READER_TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(1200):
            async with session.get(f"{server.url}/metrics") as answer:
                text = await answer.text()
            done = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith('surge_steps_total{action="log"')
            )
            if done >= waiting:
                break
            await asyncio.sleep(0.1)
        for _ in range(5):
            async with session.get(f"{server.url}/api/v1/incidents?limit=1000") as answer:
                await answer.read()
        for incident in range(1, 200):
            async with session.get(f"{server.url}/api/v1/incidents/{incident}") as answer:
                await answer.read()
    await asyncio.sleep(1)


async def _rss(folder: Path, total: int, still_open: int) -> tuple[float, float]:
    config = write_surge(folder, free_port(), {"waiting": PLAYBOOK})
    if total:
        await fill(folder, total, still_open)
    server = await start_surge(folder, config)
    try:
        await _settled(server, still_open)
        return server.service.rss_mb()
    finally:
        server.service.stop()


async def run(quick: bool) -> list[Result]:
    total, still_open = (2000, 200) if quick else (10_000, 1000)
    with tempfile.TemporaryDirectory(prefix="surge-bench-memory-") as tmp:
        folder = Path(tmp)
        (folder / "empty").mkdir()
        (folder / "full").mkdir()
        _, empty_peak = await _rss(folder / "empty", 0, 0)
        now, peak = await _rss(folder / "full", total, still_open)
    return [
        Result(
            "memory",
            f"RSS, {total:,} incidents, {still_open:,} open (peak)",
            peak,
            "MiB",
            "the same server, empty store",
            empty_peak,
            "< 300 MiB",
            peak < 300,
            f"{now:.0f} MiB after settling",
        )
    ]
