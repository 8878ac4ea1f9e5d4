"""``script.await_approval``: the run holds until the script is approved (after the
incident opened, unless ``since: any``), and gives up after its timeout."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from support.paging import START, Clock, wait_for_run

from surge.config import Config, ScriptSettings
from surge.runtime import Runtime
from surge.scripts.approval import approve
from surge.store.records import RunStatus

SCRIPT = """
id: statement
title: Holding statement
locales:
  zh-CN: "我们已注意到相关反馈，正在调查。"
  en: "We have heard you and are looking into it."
"""
PLAYBOOK = """
id: complaints
title: Complaints
params:
  since: {type: enum, choices: [incident, any], default: incident}
steps:
  - id: approved
    action: script.await_approval
    with: {script: statement, since: "{{ params.since }}", timeout: 1h}
  - {id: after, action: log, with: {message: "published"}}
"""


async def _runtime(tmp_path: Path, config: Config, make_runtime, write_playbook) -> Runtime:
    write_playbook("complaints", PLAYBOOK)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "statement.yaml").write_text(SCRIPT, encoding="utf-8")
    runtime: Runtime = await make_runtime(
        config=replace(config, scripts=ScriptSettings(folder=scripts)), start=False
    )
    runtime.engine.clock = Clock(START)
    await runtime.engine.start()
    return runtime


async def _approve(runtime: Runtime, at: datetime) -> None:
    await approve(runtime.store, runtime.scripts.get("statement"), "mei", at)  # type: ignore[arg-type]


def _advance(runtime: Runtime, seconds: float) -> None:
    clock = runtime.engine.clock
    assert isinstance(clock, Clock)
    clock.advance(seconds)
    runtime.engine.wake()


async def test_it_waits_for_an_approval_given_after_the_incident_opened(
    tmp_path, config, make_runtime, write_playbook
) -> None:
    runtime = await _runtime(tmp_path, config, make_runtime, write_playbook)
    await _approve(runtime, START - timedelta(days=30))  # approved once, long ago
    incident = await runtime.engine.trigger("complaints", {}, actor="test")
    await wait_for_run(runtime, incident.id, "approved", RunStatus.WAITING)
    _advance(runtime, 10)
    await asyncio.sleep(0.2)
    await wait_for_run(runtime, incident.id, "approved", RunStatus.WAITING)  # still
    assert [r.step_id for r in await runtime.store.runs(incident.id)] == ["approved"]
    await _approve(runtime, START + timedelta(seconds=10))
    _advance(runtime, 6)
    run = await wait_for_run(runtime, incident.id, "approved", RunStatus.SUCCEEDED)
    assert run.result is not None and run.result["approved_by"] == "mei"
    assert run.result["waited_s"] >= 10
    await wait_for_run(runtime, incident.id, "after", RunStatus.SUCCEEDED)
    notes = [e.message for e in await runtime.store.timeline(incident.id) if e.kind == "note"]
    assert "statement approved by mei" in notes


async def test_since_any_takes_the_standing_approval(
    tmp_path, config, make_runtime, write_playbook
) -> None:
    runtime = await _runtime(tmp_path, config, make_runtime, write_playbook)
    await _approve(runtime, START - timedelta(days=30))
    incident = await runtime.engine.trigger("complaints", {"since": "any"}, actor="test")
    run = await wait_for_run(runtime, incident.id, "approved", RunStatus.SUCCEEDED)
    assert run.result is not None and run.result["waited_s"] == 0


async def test_nobody_approving_within_the_timeout_fails_the_step(
    tmp_path, config, make_runtime, write_playbook
) -> None:
    runtime = await _runtime(tmp_path, config, make_runtime, write_playbook)
    incident = await runtime.engine.trigger("complaints", {}, actor="test")
    await wait_for_run(runtime, incident.id, "approved", RunStatus.WAITING)
    _advance(runtime, 3601)
    run = await wait_for_run(runtime, incident.id, "approved", RunStatus.FAILED)
    assert run.error == "nobody approved statement within 3600s"
