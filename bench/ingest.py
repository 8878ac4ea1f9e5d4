"""Webhook ingest: alerts per second and latency through surge's Alertmanager webhook,
against a bare aiohttp + SQLite handler and against Alerta, all loaded the same way.

Two paths: a repeated alert (the same alert again and again: surge's dedupe path) and
unique alerts (each a new group: surge opens an incident, whose first step the engine
then runs while the load goes on). Each target gets a short warm-up that is not counted.
"""

from __future__ import annotations

import math
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from bench import alerta, payloads
from bench.load import Load, post_load
from bench.procs import (
    ALERT_TOKEN,
    BenchError,
    cpu_seconds,
    free_port,
    start,
    start_surge,
    wait_ready,
    write_surge,
)
from bench.report import Result

PLAYBOOK = """
    id: chat-down
    title: Web chat down
    severity: critical
    max_open: 1000000
    params:
      instance: {type: string, required: true}
    triggers:
      - alert:
          match: {alertname: ChannelDown}
          params: {instance: "{{ labels.instance }}"}
    group_by: [instance]
    steps:
      - {id: note, action: log, with: {message: "chat down on {{ params.instance }}"}}
"""
CONNECTIONS = 16


@dataclass(frozen=True)
class Settings:
    seconds: float
    warmup: float


async def _measure(
    url: str,
    folder: Path,
    settings: Settings,
    unique: bool,
    token: str | None,
    pid: int | None = None,
) -> Load:
    """The measured load after a warm-up that is not counted; with ``pid``, the CPU time
    that server process spent on the measured part."""
    body = payloads.body("@ID@" if unique else "chat-gw-1")
    await post_load(
        url,
        body,
        folder,
        seconds=settings.warmup,
        connections=CONNECTIONS,
        unique=unique,
        token=token,
    )
    before = cpu_seconds(pid) if pid else math.nan
    load = await post_load(
        url,
        body,
        folder,
        seconds=settings.seconds,
        connections=CONNECTIONS,
        unique=unique,
        token=token,
    )
    return replace(load, cpu_seconds=cpu_seconds(pid) - before) if pid else load


async def _surge(folder: Path, settings: Settings, unique: bool) -> Load:
    folder.mkdir()
    config = write_surge(folder, free_port(), {"chat-down": PLAYBOOK})
    server = await start_surge(folder, config)
    try:
        url = f"{server.url}/api/v1/alerts/alertmanager"
        return await _measure(url, folder, settings, unique, ALERT_TOKEN, server.service.pid)
    finally:
        server.service.stop()


async def _bare(folder: Path, settings: Settings, unique: bool) -> Load:
    folder.mkdir()
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "bench.bare",
        "--port",
        str(port),
        "--db",
        str(folder / "bare.db"),
    ]
    service = start("bare", argv, folder)
    try:
        await wait_ready(service, f"http://127.0.0.1:{port}/readyz")
        url = f"http://127.0.0.1:{port}/alerts"
        return await _measure(url, folder, settings, unique, None, service.pid)
    finally:
        service.stop()


def _results(path: str, surge: Load, bare: Load, peer: Load | None, peer_note: str) -> list[Result]:
    name = "webhook ingest"
    results = [
        Result(
            name,
            f"{path}: alerts/s",
            surge.ok_per_second,
            "alerts/s",
            "bare aiohttp+SQLite",
            bare.ok_per_second,
            "≥ 0.5",
            surge.ok_per_second >= 0.5 * bare.ok_per_second,
            _errors(surge),
        ),
        Result(
            name,
            f"{path}: alerts per CPU second",
            surge.ok_per_cpu_second,
            "alerts/CPU s",
            "bare aiohttp+SQLite",
            bare.ok_per_cpu_second,
            "≥ 0.5",
            surge.ok_per_cpu_second >= 0.5 * bare.ok_per_cpu_second,
            "the server process's own CPU time: moves least on a busy machine",
        ),
        Result(name, f"{path}: p50", surge.p50_ms, "ms", "bare aiohttp+SQLite", bare.p50_ms),
        Result(name, f"{path}: p99", surge.p99_ms, "ms", "bare aiohttp+SQLite", bare.p99_ms),
    ]
    if peer is None:
        results.append(
            Result(
                name,
                f"{path}: alerts/s",
                surge.ok_per_second,
                "alerts/s",
                "Alerta 9.1",
                float("nan"),
                "≥ 10",
                None,
                peer_note,
            )
        )
        return results
    results += [
        Result(
            name,
            f"{path}: alerts/s",
            surge.ok_per_second,
            "alerts/s",
            "Alerta 9.1",
            peer.ok_per_second,
            "≥ 10",
            surge.ok_per_second >= 10 * peer.ok_per_second,
            _errors(peer, "Alerta"),
        ),
        Result(
            name,
            f"{path}: p99",
            surge.p99_ms,
            "ms",
            "Alerta 9.1",
            peer.p99_ms,
            "< 1",
            surge.p99_ms < peer.p99_ms,
        ),
    ]
    return results


def _errors(load: Load, who: str = "") -> str:
    if not (load.status_errors or load.socket_errors):
        return f"{load.requests} requests in {load.seconds:.1f}s"
    return (
        f"{who + ': ' if who else ''}{load.status_errors} error answers, "
        f"{load.socket_errors} socket errors of {load.requests}"
    )


async def run(quick: bool) -> list[Result]:
    settings = Settings(seconds=3 if quick else 10, warmup=1 if quick else 2)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="surge-bench-ingest-") as tmp:
        folder = Path(tmp)
        loads: dict[str, dict[str, Load]] = {"dedupe": {}, "unique": {}}
        for path in loads:
            unique = path == "unique"
            loads[path]["surge"] = await _surge(folder / f"surge-{path}", settings, unique)
            loads[path]["bare"] = await _bare(folder / f"bare-{path}", settings, unique)
        note = ""
        try:
            async with alerta.running(folder) as peer:
                for path in loads:
                    url = f"{peer.url}/webhooks/prometheus"
                    loads[path]["alerta"] = await _measure(
                        url, folder, settings, path == "unique", None
                    )
        except BenchError as error:
            note = f"Alerta not run: {error}"
            print(f"  {note}", flush=True)
        for path, measured in loads.items():
            results += _results(
                path, measured["surge"], measured["bare"], measured.get("alerta"), note
            )
    return results
