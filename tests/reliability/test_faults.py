"""Injected plugin faults (exceptions, hangs, slow answers, 5xx and 429 from a webhook
target, event hooks that raise or hang): the engine keeps serving, other incidents run
as usual, and every fault is on the incident's timeline and in /metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.probe import Probe

from reliability.support import receiving
from surge.config import Config, WebhookTarget
from surge.plugin import hookimpl
from surge.store.records import Incident, StepRun
from surge.web.app import create_app
from surge.web.keys import RUNTIME

FAULTY = """
    id: faulty
    title: Every kind of fault
    steps:
      - {id: crash, action: probe.crash, retry: {attempts: 2, backoff: 50ms}, on_failure: continue}
      - {id: hang, action: probe.hang, timeout: 300ms, on_failure: continue}
      - {id: slow, action: webhook, with: {target: slow}}
      - {id: too-slow, action: webhook, with: {target: too-slow}, on_failure: continue}
      - {id: five, action: webhook, with: {target: five}, retry: {attempts: 2, backoff: 50ms},
         on_failure: continue}
      - {id: busy, action: webhook, with: {target: busy}, retry: {attempts: 3, backoff: 50ms}}
      - {id: after, action: probe.record, with: {value: reached}}
"""
EXPECTED_RUNS = [
    ("crash", 1, "failed"),
    ("crash", 2, "failed"),
    ("hang", 1, "failed"),
    ("slow", 1, "succeeded"),
    ("too-slow", 1, "failed"),
    ("five", 1, "failed"),
    ("five", 2, "failed"),
    ("busy", 1, "failed"),
    ("busy", 2, "failed"),
    ("busy", 3, "succeeded"),
    ("after", 1, "succeeded"),
]
HEALTHY = """
    id: healthy
    title: Nothing wrong here
    steps:
      - {id: one, action: probe.record, with: {value: 1}}
      - {id: two, action: webhook, with: {target: fine}}
"""


class FaultyHooks:
    """An event-hook plugin with bugs: it raises when an incident opens and hangs when a
    step of the faulty playbook finishes."""

    name = "faulty-hooks"

    @hookimpl
    async def surge_incident_opened(self, incident: Incident) -> None:
        raise ValueError("opened hook is broken")

    @hookimpl
    async def surge_step_finished(self, incident: Incident, run: StepRun) -> None:
        if incident.playbook_id == "faulty":
            await asyncio.sleep(3600)


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_faults_are_recorded_and_contained(
    aiohttp_client: Any,
    config: Config,
    write_playbook: Callable[[str, str], Path],
    probe: Probe,
) -> None:
    write_playbook("faulty", FAULTY)
    write_playbook("healthy", HEALTHY)
    async with receiving() as receiver:
        receiver.delay = {"slow": 0.3, "too-slow": 2.0}
        receiver.answers = {"five": {1: 500, 2: 503}, "busy": {1: 429, 2: 429}}
        targets = {
            name: WebhookTarget(
                f"{receiver.url}/{name}", timeout=1.0 if name == "too-slow" else 5.0
            )
            for name in ("slow", "too-slow", "five", "busy", "fine")
        }
        engine = dataclasses.replace(config.engine, hook_timeout=0.3)
        setup = dataclasses.replace(config, webhooks=targets, engine=engine)
        app = create_app(setup, extra_plugins=[probe, FaultyHooks()], load_entry_points=False)
        client = await aiohttp_client(app)
        state = app[RUNTIME]
        faulty = [await state.engine.trigger("faulty", {}, actor="test") for _ in range(3)]
        await asyncio.sleep(0.2)  # the faulty ones are in their faults now
        started = time.monotonic()
        healthy = [await state.engine.trigger("healthy", {}, actor="test") for _ in range(5)]

        async def done(incident: Incident) -> bool:
            runs = await state.store.runs(incident.id)
            return (
                len(runs) > 0
                and all(r.status.is_final for r in runs)
                and runs[-1].step_id in ("two", "after")
            )

        while not all([await done(i) for i in healthy]):
            answer = await client.get("/healthz")
            assert answer.status == 200
            answer = await client.get("/readyz")
            assert answer.status == 200, await answer.text()
            assert time.monotonic() - started < 5, "healthy incidents held up by the faults"
            await asyncio.sleep(0.05)
        healthy_took = time.monotonic() - started
        deadline = time.monotonic() + 20
        while not all([await done(i) for i in faulty]):
            assert time.monotonic() < deadline, "faulty incidents did not finish"
            await asyncio.sleep(0.05)

        for incident in faulty:
            runs = await state.store.runs(incident.id)
            outcome = [(r.step_id, r.attempt, r.status.value) for r in runs]
            assert outcome == EXPECTED_RUNS, f"incident {incident.id}: {outcome}"
            text = "\n".join(e.message for e in await state.store.timeline(incident.id))
            for fault in (
                "crash: failed: RuntimeError: the plugin has a bug",
                "hang: failed: timed out after 300ms",
                "too-slow: failed: POST",
                "five: failed: POST",
                "HTTP 500",
                "HTTP 503",
                "busy: failed: POST",
                "HTTP 429",
                "plugin faulty-hooks failed in surge_incident_opened: opened hook is broken",
            ):
                assert fault in text, f"{fault!r} is not on incident {incident.id}'s timeline"
        assert receiver.count("busy") == 3 * 3  # 429, 429, then through, for each

        body = await (await client.get("/metrics")).text()
        assert metric(body, "surge_plugin_errors_total", plugin="probe") >= 3 * 3  # crash×2, hang
        # a hung event hook holds up only its own incident's later events (they are
        # delivered in order), each for hook_timeout: every one is counted in the end
        hooks = 8 + 3 * len(EXPECTED_RUNS)  # opened (all), step finished (faulty ones)
        deadline = time.monotonic() + 15
        while metric(body, "surge_plugin_errors_total", plugin="faulty-hooks") < hooks:
            assert time.monotonic() < deadline, "not every hook failure was counted"
            await asyncio.sleep(0.2)
            body = await (await client.get("/metrics")).text()
        assert metric(body, "surge_steps_total", action="webhook", outcome="failed") == 3 * 5
        assert metric(body, "surge_steps_total", action="probe.crash", outcome="failed") == 6
        assert metric(body, "surge_steps_total", action="probe.hang", outcome="failed") == 3
        assert (
            metric(body, "surge_steps_total", action="probe.record", outcome="succeeded") == 3 + 5
        )
    print(f"\nhealthy incidents finished in {healthy_took:.2f}s beside the faults")
