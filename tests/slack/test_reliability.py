"""Reliability: Slack's API goes away during a run and comes back. The steps retry, every
delivery arrives once Slack is back, and none arrives twice, including the one whose
answer was cut off after Slack had taken it."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from support.slack import PEOPLE

from surge.store.records import RunStatus

RETRY = "{attempts: 60, backoff: 100ms, max_backoff: 300ms}"
OUTAGE = f"""
    id: outage
    title: Web chat down
    params: {{n: {{type: int, default: 0}}}}
    steps:
      - id: room
        action: channel.open
        with: {{channel: incident-room, name: "outage-{{{{ params.n }}}}"}}
        retry: {RETRY}
      - id: tell-room
        action: channel.post
        with: {{channel: incident-room, script: agents-update, vars: {{service: web chat}}}}
        retry: {RETRY}
      - id: tell-agents
        action: channel.post
        with: {{channel: agents, script: agents-update, vars: {{service: web chat}}}}
        retry: {RETRY}
      - {{id: page, action: page, with: {{policy: ann-only}}}}
"""
CHANNELS = """
channels:
  incident-room: {provider: slack, name: "inc-{{ incident.id }}-{{ name }}"}
  agents: {provider: slack, channel: cs-agents}
"""
ROTA = f"""
timezone: UTC
people:
  ann: {{name: Ann, locale: en, contact: [{{slack: {PEOPLE["ann"]}}}]}}
escalation:
  ann-only: {{levels: [{{page: [{{person: ann}}], wait: 1h}}]}}
"""


def keys(messages: list[dict[str, Any]]) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in messages if m.get("metadata")]


async def test_slack_stopped_and_started_during_a_run_loses_and_doubles_nothing(
    slack_server, fake_slack, slack_runtime, write_playbook, eventually, tmp_path
):
    (tmp_path / "rota.yaml").write_text(ROTA, encoding="utf-8")
    write_playbook("outage", OUTAGE)
    extra = f"rota: {tmp_path / 'rota.yaml'}\npagers: {{slack: {{}}}}\n"
    runtime = await slack_runtime(channels=CHANNELS, extra=extra)
    store = runtime.store

    async def steps_done(incident_id: int, count: int) -> bool:
        runs = await store.runs(incident_id)
        done = [r for r in runs if r.status in (RunStatus.SUCCEEDED, RunStatus.WAITING)]
        return len({r.step_id for r in done}) >= count

    first = await runtime.engine.trigger("outage", {"n": 1}, actor="test")
    await eventually(lambda: steps_done(first.id, 4), within=15, what="the first incident")

    # Slack goes away; the next incident's steps fail and retry meanwhile
    fake_slack.delay("chat.postMessage", 0.5)  # Slack takes the post; its answer is cut
    before = len(fake_slack.calls_of("chat.postMessage"))
    second = await runtime.engine.trigger("outage", {"n": 2}, actor="test")
    await eventually(
        lambda: fake_slack.calls_of("conversations.create")[1:], what="the second room asked"
    )
    await eventually(
        lambda: len(fake_slack.calls_of("chat.postMessage")) > before, what="a post Slack takes"
    )
    await slack_server.stop()

    async def failing() -> bool:
        runs = await store.runs(second.id)
        return sum(r.status is RunStatus.FAILED for r in runs) >= 2

    await eventually(failing, within=15, what="attempts to fail while Slack is down")
    fake_slack.delay("chat.postMessage", 0)
    await slack_server.start()
    await eventually(lambda: steps_done(second.id, 4), within=30, what="the second incident")

    room = fake_slack.by_name(f"inc-{second.id}-outage-2")
    agents = fake_slack.by_name("cs-agents")
    posted = keys(room.messages) + keys(agents.messages)
    repeated = [key for key, n in collections.Counter(posted).items() if n > 1]
    assert repeated == []  # nothing twice, the cut-off post included
    assert f"{second.id}:steps:tell-room:incident-room" in posted
    assert f"{second.id}:steps:tell-agents:agents" in posted
    assert f"summary:{second.id}" in posted
    assert fake_slack.calls_of("conversations.history")  # re-runs looked before posting
    assert len([c for c in fake_slack.channels.values() if c.name.startswith("inc-")]) == 2
    dm = fake_slack.dm(PEOPLE["ann"])
    assert dm is not None
    assert len([m for m in dm.messages if str(second.id) in m["text"]]) == 1  # Ann paged once
    await asyncio.sleep(0.3)  # and nothing more arrives afterwards
    assert keys(room.messages) + keys(agents.messages) == posted
