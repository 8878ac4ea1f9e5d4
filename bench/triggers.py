"""Trigger evaluation: one evaluation round of 500 metric triggers against a real
Prometheus (Debian's), each a PromQL condition and a clear condition over four series,
against the same queries sent straight to Prometheus by a bare aiohttp client.

An exporter (Python's http.server on a static file) serves 2,000 gauge series; one shard
in ten has a channel above its threshold, so every round also moves some series to
pending. A round is what the server runs every ``prometheus.interval``: read the timers,
ask every query, store every series' phase and export the gauges.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.procs import BenchError, Service, free_port, start, wait_ready
from bench.report import Result
from surge.config import Config, PrometheusSettings
from surge.playbook.model import MetricTrigger
from surge.runtime import build_runtime
from surge.triggers.admission import Admission
from surge.triggers.prometheus import PrometheusClient
from surge.triggers.watcher import MetricWatcher

TRIGGERS = 500
PER_PLAYBOOK = 10
CHANNELS = ("web-chat", "hotline", "app", "email")


def exporter_text() -> str:
    lines = ["# TYPE bench_queue_depth gauge"]
    for shard in range(TRIGGERS):
        for n, channel in enumerate(CHANNELS):
            value = 95 if shard % 10 == 0 and n == 0 else 20 + n
            lines.append(f'bench_queue_depth{{shard="{shard}",channel="{channel}"}} {value}')
    return "\n".join(lines) + "\n"


def playbooks() -> dict[str, str]:
    found = {}
    for number in range(TRIGGERS // PER_PLAYBOOK):
        triggers = ""
        for shard in range(number * PER_PLAYBOOK, (number + 1) * PER_PLAYBOOK):
            series = f'bench_queue_depth{{shard="{shard}"}}'
            triggers += (
                f"  - metric:\n"
                f"      query: max by (channel) (avg_over_time({series}[1m])) > 80\n"
                f"      for: 2m\n"
                f"      clear: max by (channel) (avg_over_time({series}[1m])) < 50\n"
                f"      clear_for: 5m\n"
                f'      params: {{channel: "{{{{ labels.channel }}}}"}}\n'
            )
        found[f"queues-{number}"] = (
            f"id: queues-{number}\ntitle: Queues {number}\n"
            "params:\n  channel: {type: string, required: true}\n"
            f"triggers:\n{triggers}group_by: [channel]\n"
            "steps:\n  - {id: note, action: log, with: {message: '{{ params.channel }}'}}\n"
        )
    return found


async def _prometheus(folder: Path) -> tuple[Service, Service, str]:
    binary = shutil.which("prometheus")
    if binary is None:
        raise BenchError("prometheus is not installed: apt-get install prometheus")
    served = folder / "exporter"
    served.mkdir()
    (served / "metrics").write_text(exporter_text())
    exporter_port, port = free_port(), free_port()
    exporter = start(
        "exporter",
        [
            sys.executable,
            "-m",
            "http.server",
            "-b",
            "127.0.0.1",
            "-d",
            str(served),
            str(exporter_port),
        ],
        folder,
    )
    (folder / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n  - job_name: exporter\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    prometheus = start(
        "prometheus",
        [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        folder,
    )
    url = f"http://127.0.0.1:{port}"
    await wait_ready(prometheus, f"{url}/-/ready")
    await _wait_scraped(url)
    return exporter, prometheus, url


async def _wait_scraped(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            params = {"query": "count(bench_queue_depth)"}
            async with session.get(f"{url}/api/v1/query", params=params) as answer:
                result = (await answer.json())["data"]["result"]
            if result and int(float(result[0]["value"][1])) == TRIGGERS * len(CHANNELS):
                return
            await asyncio.sleep(0.1)
    raise BenchError("Prometheus did not scrape the exporter within 30s")


async def _bare_round(url: str, queries: list[str], session: aiohttp.ClientSession) -> float:
    async def one(query: str) -> None:
        params = {"query": query, "time": f"{time.time():.3f}"}
        async with session.get(f"{url}/api/v1/query", params=params) as answer:
            await answer.json()

    started = time.perf_counter()
    await asyncio.gather(*(one(query) for query in queries))
    return time.perf_counter() - started


async def run(quick: bool) -> list[Result]:
    rounds = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="surge-bench-triggers-") as tmp:
        folder = Path(tmp)
        (folder / "playbooks").mkdir()
        for name, text in playbooks().items():
            (folder / "playbooks" / f"{name}.yaml").write_text(text)
        exporter, prometheus, url = await _prometheus(folder)
        try:
            surge, bare = await _rounds(folder, url, rounds)
        finally:
            prometheus.stop()
            exporter.stop()
    cycle = statistics.median(surge)
    return [
        Result(
            "trigger evaluation",
            f"{TRIGGERS} metric triggers: one round (median)",
            cycle,
            "s",
            "the same queries, bare aiohttp",
            statistics.median(bare),
            "< 2 s (15 s interval)",
            cycle < 2.0,
            f"{rounds} rounds, slowest {max(surge):.2f}s",
        )
    ]


async def _rounds(folder: Path, url: str, rounds: int) -> tuple[list[float], list[float]]:
    settings = PrometheusSettings(url=url, interval=15.0, timeout=10.0)
    config = Config(
        store=f"sqlite:///{folder / 'surge.db'}",
        playbooks=folder / "playbooks",
        prometheus=settings,
    )
    runtime = build_runtime(config, load_entry_points=False)
    if runtime.problems or len(runtime.playbooks) != TRIGGERS // PER_PLAYBOOK:
        raise BenchError(f"bench playbooks did not load: {runtime.problems}")
    await runtime.open()
    surge, bare = [], []
    try:
        async with aiohttp.ClientSession() as session:
            watcher = MetricWatcher(
                runtime.engine, Admission(runtime.engine), PrometheusClient(settings, session)
            )
            triggers = [
                t
                for p in runtime.playbooks.all()
                for t in p.triggers
                if isinstance(t, MetricTrigger)
            ]
            queries = [q for t in triggers for q in (t.query, t.clear) if q]
            for number in range(rounds + 1):  # the first warms up
                started = time.perf_counter()
                await watcher.evaluate(runtime.engine.clock())
                if number:
                    surge.append(time.perf_counter() - started)
                    bare.append(await _bare_round(url, queries, session))
    finally:
        await runtime.close()
    return surge, bare
