"""Three surge replicas on one PostgreSQL database take Alertmanager webhooks at a rising,
bounded rate, against one replica in the same run.

    bench/run --only replicas                          # with the others' runner and table
    .venv/bin/python -m bench.replicas                 # rates 50,100,200,400 alerts/s, 5 s each
    .venv/bin/python -m bench.replicas --rates 25,50 --seconds 3 --json

Each alert is new (its own fingerprint and group), so each must open one incident; and
each is sent twice, to two different replicas, as a load balancer's retry or an
Alertmanager pair would, so the store's dedupe is under load too. Reported per rate:
alerts accepted per second (HTTP 200), latency p50/p99, incidents opened, and duplicates
(incidents beyond one per alert: must be 0). Requests are paced open-loop with at most
``--in-flight`` outstanding; every run is bounded by its rates and seconds.

Needs PostgreSQL at $SURGE_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres);
each setup gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import psycopg

from bench.procs import ROOT, free_port
from bench.report import Result, percentile

sys.path.insert(0, str(ROOT / "tests"))

from support.postgres import temporary_database

from surge.web.auth import hash_token

# bench/run: --quick, then the full run (the same as this module's own defaults)
RATES = {True: [50], False: [50, 100, 200, 400]}
SECONDS = {True: 3.0, False: 5.0}

TOKEN = "surge_bench-alert-source"
ROUTE = "/api/v1/alerts/alertmanager"
PLAYBOOK = """
    id: intake
    title: Intake
    triggers:
      - alert: {match: {alertname: Bench}, params: {shard: "{{ labels.shard }}"}}
    group_by: [shard]
    max_open: 1000000
    params:
      shard: {type: string, required: true}
    steps:
      - {id: note, action: log, with: {message: "alert for {{ params.shard }}"}}
"""


@dataclass
class Step:
    setup: str
    rate: int  # alerts per second offered
    sent: int  # requests (each alert twice)
    accepted_per_s: float  # alerts whose both deliveries answered 200, per second
    errors: int
    p50_ms: float
    p99_ms: float
    incidents: int
    duplicates: int  # incidents beyond one per alert, or deliveries both answered "opened"


def start_replicas(
    folder: Path, store: str, count: int
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    (folder / "playbooks").mkdir(parents=True)
    (folder / "playbooks" / "intake.yaml").write_text(textwrap.dedent(PLAYBOOK), "utf-8")
    processes, urls = [], []
    for n in range(count):
        port = free_port()
        config = folder / f"surge-{n}.yaml"
        config.write_text(
            f"store: {store}\nlisten: 127.0.0.1:{port}\nplaybooks: {folder / 'playbooks'}\n"
            "auth:\n  tokens:\n"
            f"    - {{name: bench, role: alert-source, sha256: {hash_token(TOKEN)}}}\n",
            "utf-8",
        )
        log = (folder / f"surge-{n}.log").open("wb")
        argv = [sys.executable, "-m", "surge", "serve", "--config", str(config)]
        processes.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=folder))
        urls.append(f"http://127.0.0.1:{port}")
    return processes, urls


async def wait_ready(http: aiohttp.ClientSession, urls: list[str]) -> None:
    deadline = time.monotonic() + 60
    for url in urls:
        while True:
            try:
                async with http.get(f"{url}/readyz") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not become ready")
            await asyncio.sleep(0.1)


def payload(shard: str) -> bytes:
    alert = {
        "status": "firing",
        "labels": {"alertname": "Bench", "shard": shard},
        "startsAt": "2026-11-25T08:00:00Z",
        "fingerprint": shard,
    }
    return json.dumps({"version": "4", "status": "firing", "alerts": [alert]}).encode()


async def offer(
    http: aiohttp.ClientSession,
    urls: list[str],
    rate: int,
    seconds: float,
    in_flight: int,
    tag: str,
) -> tuple[int, int, int, list[float], int]:
    """Send ``rate`` new alerts per second for ``seconds``, each to two replicas."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    gate = asyncio.Semaphore(in_flight)
    latencies: list[float] = []
    results: dict[int, int] = {}
    errors = 0
    opened = [0]  # deliveries answered "opened": one per alert, or an alert opened twice

    async def post(url: str, index: int, body: bytes) -> None:
        nonlocal errors
        async with gate:
            started = time.perf_counter()
            try:
                async with http.post(url + ROUTE, data=body, headers=headers) as answer:
                    ok = answer.status == 200
                    outcomes = (await answer.json())["results"] if ok else []
                    opened[0] += sum(r["outcome"] == "opened" for r in outcomes)
            except aiohttp.ClientError:
                ok = False
            latencies.append(time.perf_counter() - started)
            if ok:
                results[index] = results.get(index, 0) + 1
            else:
                errors += 1

    tasks = []
    total = int(rate * seconds)
    begin = time.monotonic()
    for index in range(total):
        due = begin + index / rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        body = payload(f"{tag}-{index}")
        first, second = urls[index % len(urls)], urls[(index + 1) % len(urls)]
        tasks.append(asyncio.create_task(post(first, index, body)))
        tasks.append(asyncio.create_task(post(second, index, body)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - begin
    accepted = sum(1 for count in results.values() if count == 2)
    return int(accepted / elapsed), len(tasks), errors, latencies, opened[0]


def counts(store: str, tag: str) -> tuple[int, int]:
    with psycopg.connect(store) as db:
        row = db.execute(
            "SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT group_key) FROM incidents"
            " WHERE group_key LIKE %s",
            (f'["{tag}-%',),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def measure(setup: str, count: int, args: argparse.Namespace) -> list[Step]:
    steps = []
    with temporary_database("surge_bench") as store, tempfile.TemporaryDirectory() as tmp:
        processes, urls = start_replicas(Path(tmp), store, count)
        try:
            limits = aiohttp.TCPConnector(limit=args.in_flight)
            async with aiohttp.ClientSession(connector=limits) as http:
                await wait_ready(http, urls)
                for rate in args.rates:
                    tag = f"{setup}-{rate}"
                    accepted, sent, errors, latencies, opened = await offer(
                        http, urls, rate, args.seconds, args.in_flight, tag
                    )
                    await asyncio.sleep(0.5)
                    incidents, same_group = counts(store, tag)
                    duplicates = same_group + max(opened - incidents, 0)
                    steps.append(
                        Step(
                            setup,
                            rate,
                            sent,
                            accepted,
                            errors,
                            round(percentile(latencies, 0.5) * 1000, 1),
                            round(percentile(latencies, 0.99) * 1000, 1),
                            incidents,
                            duplicates,
                        )
                    )
                    if not args.json:
                        print(format_step(steps[-1]), flush=True)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=60)  # a backlog of steps may take a while to hand over
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    return steps


def format_step(step: Step) -> str:
    return (
        f"{step.setup:<11} {step.rate:>5}/s offered  {step.accepted_per_s:>5}/s accepted  "
        f"p50 {step.p50_ms:>7.1f} ms  p99 {step.p99_ms:>7.1f} ms  errors {step.errors:>4}  "
        f"incidents {step.incidents:>5}  duplicates {step.duplicates}"
    )


async def run(quick: bool) -> list[Result]:
    """For bench/run: three replicas against one, per offered rate, and the duplicates."""
    args = argparse.Namespace(rates=RATES[quick], seconds=SECONDS[quick], in_flight=64, json=False)
    baseline = await measure("1 replica", 1, args)
    cluster = await measure("3 replicas", 3, args)
    results = [
        Result(
            "replicas",
            f"3 replicas, {step.rate}/s offered: accepted",
            step.accepted_per_s,
            "alerts/s",
            "1 replica",
            base.accepted_per_s,
            note="on one machine replicas buy failover, not throughput",
        )
        for step, base in zip(cluster, baseline, strict=True)
    ]
    duplicates = sum(step.duplicates for step in baseline + cluster)
    alerts = sum(step.sent // 2 for step in baseline + cluster)
    results.append(
        Result(
            "replicas",
            "duplicates (every alert sent to two replicas)",
            duplicates,
            "incidents",
            "alerts sent",
            alerts,
            goal="0",
            met=duplicates == 0,
            baseline_unit="alerts",
        )
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rates = ",".join(str(rate) for rate in RATES[False])
    parser.add_argument("--rates", default=rates, help="alerts/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=SECONDS[False], help="per rate (≤ 60)")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=64, help="requests outstanding at most")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.rates = [int(rate) for rate in args.rates.split(",")]
    if args.seconds > 60 or max(args.rates) > 5000 or args.replicas > 8:
        parser.error("bounded: --seconds ≤ 60, rates ≤ 5000/s, --replicas ≤ 8")
    baseline = asyncio.run(measure("1 replica", 1, args))
    cluster = asyncio.run(measure(f"{args.replicas} replicas", args.replicas, args))
    machine = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"
    ratios = {
        step.rate: round(step.accepted_per_s / base.accepted_per_s, 2)
        if base.accepted_per_s
        else None
        for step, base in zip(cluster, baseline, strict=True)
    }
    if args.json:
        print(
            json.dumps(
                {
                    "machine": machine,
                    "steps": [asdict(s) for s in baseline + cluster],
                    "ratios": ratios,
                },
                indent=2,
            )
        )
    else:
        print(f"machine: {machine}; python {platform.python_version()}")
        print(
            "accepted alerts/s, replicas ÷ one replica: "
            + ", ".join(f"{r}/s: {v}" for r, v in ratios.items())
        )
    return 1 if any(step.duplicates for step in baseline + cluster) else 0


if __name__ == "__main__":
    sys.exit(main())
