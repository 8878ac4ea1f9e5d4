"""Engine throughput: 1,000 incidents of a 5-step playbook whose actions do nothing, run
by one engine on a SQLite store, in steps per second, against raw one-row commits per
second on the same disk in the same run.

Every step costs the engine what any step costs (claim, the "started" record before the
call, the outcome and the next step after it, timeline entries, metrics, plugin events);
only the action itself is free. The incidents are stored first; the clock runs from the
engine's start to the last step's outcome.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.report import Result
from surge.actions import ActionContext, ActionResult, ActionSpec
from surge.config import Config
from surge.plugin import hookimpl
from surge.runtime import build_runtime

STEPS = 5
PLAYBOOK = "id: five\ntitle: Five no-op steps\nsteps:\n" + "".join(
    f"  - {{id: s{n}, action: bench.noop}}\n" for n in range(STEPS)
)


async def _noop(ctx: ActionContext) -> ActionResult:
    return {}


class NoopPlugin:
    @hookimpl
    def surge_register_actions(self) -> Iterable[ActionSpec]:
        return [ActionSpec("bench.noop", _noop, idempotent=True, description="does nothing")]


@dataclass(frozen=True)
class Rate:
    per_second: float
    per_cpu_second: float  # the process's CPU time: what a busy machine moves least


def raw_commits(path: Path, seconds: float) -> float:
    """One-row INSERT + COMMIT per transaction, WAL, synchronous=NORMAL: commits/s."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at REAL, data TEXT)")
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (at, data) VALUES (?, ?)", (time.time(), '{"step":"s1"}'))
        db.execute("COMMIT")
        count += 1
    db.close()
    return count / elapsed


async def store_commits(folder: Path, seconds: float) -> Rate:
    """One-row commits through surge's own store (``store.db.write``, its transaction
    path: one hop to the store's thread per commit), awaited one after another."""
    runtime = build_runtime(
        Config(store=f"sqlite:///{folder / 'commits.db'}", playbooks=folder / "none"),
        load_entry_points=False,
    )
    await runtime.open()
    db = runtime.store.db  # type: ignore[attr-defined]
    try:
        await db.write(
            lambda conn: conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at REAL, data TEXT)")
        )
        count, started, cpu = 0, time.perf_counter(), time.process_time()
        while (elapsed := time.perf_counter() - started) < seconds:
            await db.write(
                lambda conn: conn.execute(
                    "INSERT INTO t (at, data) VALUES (?, ?)", (time.time(), '{"step":"s1"}')
                )
            )
            count += 1
    finally:
        await runtime.close()
    return Rate(count / elapsed, count / (time.process_time() - cpu))


async def engine_steps(folder: Path, incidents: int) -> tuple[Rate, float]:
    """Steps per second and the seconds it took to run every step of every incident."""
    (folder / "playbooks").mkdir()
    (folder / "playbooks" / "five.yaml").write_text(PLAYBOOK)
    config = Config(store=f"sqlite:///{folder / 'surge.db'}", playbooks=folder / "playbooks")
    runtime = build_runtime(config, extra_plugins=[NoopPlugin()], load_entry_points=False)
    if runtime.problems:
        raise RuntimeError(f"bench playbook: {runtime.problems}")
    await runtime.open()
    try:
        for _ in range(incidents):
            await runtime.engine.trigger("five", {}, actor="bench")
        registry = runtime.engine.metrics.registry
        labels = {"action": "bench.noop", "outcome": "succeeded"}
        started, cpu = time.perf_counter(), time.process_time()
        await runtime.engine.start()
        total = incidents * STEPS
        while (registry.get_sample_value("surge_steps_total", labels) or 0) < total:
            await asyncio.sleep(0.01)
            if time.perf_counter() - started > 600:
                raise RuntimeError("the engine did not finish in 10 minutes")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await runtime.close()
    return Rate(total / elapsed, total / cpu), elapsed


async def run(quick: bool) -> list[Result]:
    incidents = 200 if quick else 1000
    with tempfile.TemporaryDirectory(prefix="surge-bench-engine-") as tmp:
        folder = Path(tmp)
        raw = await asyncio.to_thread(raw_commits, folder / "raw.db", 2.0)
        commits = await store_commits(folder, 2.0)
        steps, elapsed = await engine_steps(folder, incidents)
    figure = f"{incidents} incidents × {STEPS} no-op steps"
    done = f"{incidents * STEPS} steps in {elapsed:.1f}s"
    return [
        Result(
            "engine throughput",
            figure,
            steps.per_second,
            "steps/s",
            "one-row commits through the store",
            commits.per_second,
            "≥ 0.3",
            steps.per_second >= 0.3 * commits.per_second,
            done,
            "commits/s",
        ),
        Result(
            "engine throughput",
            f"{figure}, per CPU second",
            steps.per_cpu_second,
            "steps/CPU s",
            "one-row commits through the store",
            commits.per_cpu_second,
            "≥ 0.3",
            steps.per_cpu_second >= 0.3 * commits.per_cpu_second,
            "the process's own CPU time: moves least on a busy machine",
            "commits/CPU s",
        ),
        Result(
            "engine throughput",
            figure,
            steps.per_second,
            "steps/s",
            "raw sqlite3 one-row commits",
            raw,
            baseline_unit="commits/s",
            note="the same commit without the store's thread hop",
        ),
    ]
