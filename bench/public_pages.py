"""Public pages under load: requests per second for ``/banner.json`` and
``/api/v2/summary.json`` from a real ``surge serve`` (as shipped, access log included),
against a bare aiohttp handler answering the same bytes with the same headers, in the
same run (``bench.bare_files``). Goal: at least 0.8 of the bare handler.

The store holds what a bad day shows: an open outage with two updates, a resolved one,
a planned maintenance window and a traffic-peak banner, all published through
``Notices`` before the server starts. wrk GETs one path at a time with 16 connections;
each target gets a warm-up that is not counted, then the two are loaded in turn for a few
rounds (the median round is reported), so that a busy moment on the machine hits both.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import aiohttp

from bench.load import Load, get_load
from bench.procs import (
    ROOT,
    cpu_seconds,
    free_port,
    start,
    start_surge,
    wait_ready,
    write_surge,
)
from bench.report import Result
from surge.config import load_config
from surge.notices.model import ComponentStatus, NoticeKind, NoticeState, Severity
from surge.notices.service import Draft
from surge.runtime import build_runtime
from surge.scripts.approval import approve

PATHS = ("/banner.json", "/api/v2/summary.json")
CONNECTIONS = 16
NAME = "public pages"
CONFIG = f"""\
scripts: {{folder: {ROOT / "config" / "scripts"}}}
status_page: {{time_zone: Asia/Shanghai, locale: zh-CN}}
components:
  - id: web-chat
    name: {{zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}}
    group: {{zh-CN: 客服渠道, zh-TW: 客服管道, en: Service channels}}
  - id: hotline
    name: {{zh-CN: 客服热线, zh-TW: 客服專線, en: Hotline}}
    group: {{zh-CN: 客服渠道, zh-TW: 客服管道, en: Service channels}}
  - id: app
    name: {{zh-CN: 手机应用, zh-TW: 手機應用程式, en: Mobile app}}
"""
OUTAGE = {"service": "在线客服", "impact": "无法发起会话", "eta": "15:30", "workaround": "拨打热线"}


@dataclass(frozen=True)
class Settings:
    seconds: float
    warmup: float
    rounds: int  # each round loads surge and the bare handler once per path, in turn


async def seed(config_file: Path) -> None:
    """Publish a bad day's notices and a banner into the store the server will use."""
    runtime = build_runtime(load_config(str(config_file)), load_entry_points=False)
    await runtime.open()
    try:
        now = runtime.engine.clock()
        for script in runtime.scripts.all():
            await approve(runtime.store, script, "bench", now, "benchmark")
        notices = runtime.engine.services.notices
        assert notices is not None
        down = {"web-chat": ComponentStatus.MAJOR_OUTAGE}
        old = await notices.publish_new(
            Draft("outage-initial", OUTAGE, components=down), author="bench"
        )
        resolved = {"service": "在线客服", "resolved_at": "15:20", "contact": "热线"}
        await notices.resolve(old.notice.id, Draft("outage-resolved", resolved), author="bench")
        current = await notices.publish_new(
            Draft("outage-initial", OUTAGE, components=down), author="bench"
        )
        await notices.publish_new(
            Draft("outage-initial", OUTAGE, state=NoticeState.IDENTIFIED, components=down),
            author="bench",
            notice_id=current.notice.id,
        )
        window = {"service": "手机应用", "window": "02:00–04:00", "alternative": "使用网页版"}
        await notices.publish_new(
            Draft(
                "maintenance-planned",
                window,
                kind=NoticeKind.MAINTENANCE,
                window_start=now + timedelta(days=2),
                window_end=now + timedelta(days=2, hours=2),
                components={"app": ComponentStatus.UNDER_MAINTENANCE},
            ),
            author="bench",
        )
        await notices.show_banner(
            "traffic-banner",
            {"self_service": "帮助中心"},
            severity=Severity.WARNING,
            by="bench",
            link="https://help.example.com/",
        )
    finally:
        await runtime.close()


async def _fetch(url: str) -> tuple[bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        answer.raise_for_status()
        skip = {"date", "server", "content-length"}
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in skip}
        return await answer.read(), headers


async def _measure(url: str, folder: Path, seconds: float, pid: int) -> Load:
    """One load, with the CPU time the server process ``pid`` spent on it."""
    before = cpu_seconds(pid)
    load = await get_load(url, folder, seconds=seconds, connections=CONNECTIONS)
    return replace(load, cpu_seconds=cpu_seconds(pid) - before)


async def run(quick: bool) -> list[Result]:
    settings = Settings(3, 1, 1) if quick else Settings(5, 2, 3)
    with tempfile.TemporaryDirectory(prefix="surge-bench-public-") as name:
        folder = Path(name)
        config = write_surge(folder, free_port(), {}, extra=textwrap.dedent(CONFIG))
        await seed(config)
        surge = await start_surge(folder, config)
        bare = None
        try:
            spec = {}
            for number, path in enumerate(PATHS):
                body, headers = await _fetch(surge.url + path)
                (folder / f"body-{number}").write_bytes(body)
                spec[path] = {"body": str(folder / f"body-{number}"), "headers": headers}
            (folder / "bare.json").write_text(json.dumps(spec))
            port = free_port()
            argv = [sys.executable, "-m", "bench.bare_files", "--port", str(port),
                    "--spec", str(folder / "bare.json")]  # fmt: skip
            bare = start("bare-files", argv, folder)
            await wait_ready(bare, f"http://127.0.0.1:{port}/readyz")
            targets = {
                "surge": (surge.url, surge.service.pid),
                "bare": (f"http://127.0.0.1:{port}", bare.pid),
            }
            for base, pid in targets.values():  # warm-ups, not counted
                for path in PATHS:
                    await _measure(base + path, folder, settings.warmup, pid)
            loads: dict[tuple[str, str], list[Load]] = {}
            for round in range(settings.rounds):  # alternate, so a busy moment hits both
                order = list(targets) if round % 2 == 0 else list(reversed(targets))
                for path in PATHS:
                    for target in order:
                        base, pid = targets[target]
                        load = await _measure(base + path, folder, settings.seconds, pid)
                        loads.setdefault((target, path), []).append(load)
        finally:
            surge.service.stop()
            if bare is not None:
                bare.stop()
    return [
        row for path in PATHS for row in _results(path, loads["surge", path], loads["bare", path])
    ]


def _median(loads: list[Load]) -> Load:
    """The round with the median requests per second."""
    return sorted(loads, key=lambda load: load.ok_per_second)[len(loads) // 2]


def _per_cpu_second(loads: list[Load]) -> float:
    """Requests answered per CPU second of the server, over every round."""
    return sum(load.requests - load.status_errors for load in loads) / sum(
        load.cpu_seconds for load in loads
    )


def _results(path: str, surge_loads: list[Load], bare_loads: list[Load]) -> list[Result]:
    surge, bare = _median(surge_loads), _median(bare_loads)
    surge_cpu, bare_cpu = _per_cpu_second(surge_loads), _per_cpu_second(bare_loads)
    baseline = "bare aiohttp, same bytes"
    errors = sum(load.status_errors + load.socket_errors for load in surge_loads)
    return [
        Result(
            NAME,
            f"{path}: requests/s",
            surge.ok_per_second,
            "req/s",
            baseline,
            bare.ok_per_second,
            "≥ 0.8",
            surge.ok_per_second >= 0.8 * bare.ok_per_second and errors == 0,
            f"{errors} errors" if errors else "",
        ),
        Result(
            NAME,
            f"{path}: requests per CPU second",
            surge_cpu,
            "req/CPU s",
            baseline,
            bare_cpu,
            "≥ 0.8",
            surge_cpu >= 0.8 * bare_cpu,
            "the server process's own CPU time: moves least on a busy machine",
        ),
        Result(NAME, f"{path}: p99", surge.p99_ms, "ms", baseline, bare.p99_ms),
    ]
