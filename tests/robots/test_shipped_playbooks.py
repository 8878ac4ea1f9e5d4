"""The three shipped playbooks, unchanged, on each of the four chat providers: only the
config's ``channels:`` (and the provider's plugin section) differ between the runs."""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import surge_dingtalk.plugin
import surge_feishu.plugin
import surge_slack.plugin
import surge_wecom.plugin
from support.paging import ROOT, wait_for_run
from support.receiver import Receiver
from support.robots import Chat, robot_of
from support.slack import SIGNING_SECRET, TOKEN, FakeSlack, slack_app

from surge.config import parse_config
from surge.scripts.approval import approve
from surge.store.records import IncidentStatus, RunStatus

PLUGINS = [surge_slack.plugin, surge_wecom.plugin, surge_dingtalk.plugin, surge_feishu.plugin]
CHANNELS = ("incident-room", "agents", "leadership", "departments")
RUNS = {  # playbook -> (params, the step that pages, its channel steps, on_resolve's)
    "system-outage": ({"channel": "web-chat", "eta": "15:30"}, "page",
                      ["room", "agents"], ["agents-recovered", "room-close"]),
    "complaint-surge": ({"topic": "快递延误"}, "group",
                        ["room", "agents", "leadership", "departments"],
                        ["agents-closed", "room-close"]),
    "traffic-peak": ({"max_call_in": 0}, None, ["agents"], ["stand-down"]),
}  # fmt: skip


async def _slack(aiohttp_server: Any, monkeypatch: Any) -> tuple[str, FakeSlack]:
    slack = FakeSlack()
    server = await aiohttp_server(slack_app(slack), host="127.0.0.1")
    slack.url = str(server.make_url("/api/"))
    for name in ("cs-agents", "cs-leads", "cs-departments"):
        slack.add_channel(name)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    text = f"""
    plugins:
      slack: {{token_env: SLACK_BOT_TOKEN, signing_secret_env: SLACK_SIGNING_SECRET,
               base_url: "{slack.url}"}}
    channels:
      incident-room: {{provider: slack, backup: fallback}}
      agents: {{provider: slack, channel: cs-agents, backup: fallback}}
      leadership: {{provider: slack, channel: cs-leads, backup: fallback}}
      departments: {{provider: slack, channel: cs-departments, backup: fallback}}
    """
    return text, slack


async def _robots(platform: str, aiohttp_server: Any, monkeypatch: Any) -> tuple[str, Chat]:
    chat = await Chat.start(platform, aiohttp_server)
    lines = [
        f"  {name}: {{{chat.channel(name, robot_of(chat, name), monkeypatch)}, backup: fallback}}"
        for name in CHANNELS
    ]
    return chat.plugin_section() + "channels:\n" + "\n".join(lines) + "\n", chat


async def _succeeded(runtime: Any, incident_id: int, step: str, playbook: str) -> None:
    """Wait for ``step`` to end; it succeeded on its own channel (nothing fell over)."""
    final = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED)
    for _ in range(500):
        runs = [run for run in await runtime.store.runs(incident_id) if run.step_id == step]
        if runs and runs[-1].status in final:
            run = runs[-1]
            assert run.status is RunStatus.SUCCEEDED, (playbook, step, run.error)
            assert not (run.result or {}).get("failed_over"), (playbook, step, run.result)
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{playbook}: {step} did not end")


def _arrived(provider: str, far: Any, channel: str) -> int:
    if provider == "slack":
        names = {"agents": "cs-agents", "leadership": "cs-leads", "departments": "cs-departments"}
        if channel in names:
            return len(far.by_name(names[channel]).messages)
        return sum(len(c.messages) for c in far.channels.values() if c.name.startswith("inc-"))
    return len(far.shown(channel))


@pytest.mark.parametrize("provider", ["slack", "wecom", "dingtalk", "feishu"])
async def test_the_shipped_playbooks_run_on_each_chat_provider_by_config_alone(
    provider,
    aiohttp_server,
    make_runtime,
    tmp_path: Path,
    smtp_server,
    store_url,
    monkeypatch,
) -> None:
    folder = tmp_path / "shipped"
    shutil.copytree(ROOT / "config" / "scripts", folder / "scripts")
    (folder / "playbooks").mkdir()
    for playbook in RUNS:
        shutil.copy(ROOT / "playbooks" / f"{playbook}.yaml", folder / "playbooks")
    receiver = await Receiver.serve(aiohttp_server)  # backup capacity and the IVR
    receiver.reply = lambda received: {"number": "400-820-8820"}
    monkeypatch.setenv("SURGE_TEST_LINK_SECRET", "shipped-link-secret")
    far: FakeSlack | Chat
    if provider == "slack":
        channels, far = await _slack(aiohttp_server, monkeypatch)
    else:
        channels, far = await _robots(provider, aiohttp_server, monkeypatch)
    base = textwrap.dedent(f"""
        store: {store_url}
        playbooks: {folder / "playbooks"}
        public_url: http://surge.example.test
        scripts: {{folder: {folder / "scripts"}}}
        rota: {ROOT / "config" / "rota.yaml"}
        engine: {{lease: 1s, poll_interval: 20ms}}
        smtp: {{host: 127.0.0.1, port: {smtp_server.port}, security: none}}
        webhooks:
          backup-capacity: {{url: "{receiver.url}"}}
          ivr: {{url: "{receiver.url}"}}
        hotlines:
          customer: {{number: "400-820-8820", open: {{webhook: ivr}}, close: {{webhook: ivr}}}}
        pagers:
          links: {{secret_env: SURGE_TEST_LINK_SECRET}}
          email: {{}}
          sms: {{type: webhook, url: "{receiver.url}"}}
    """)
    fallback = "  fallback: {provider: email, to: [fallback@example.test]}\n"
    config = parse_config(base + textwrap.dedent(channels) + fallback, "swap.yaml")
    runtime = await make_runtime(config=config, plugins=PLUGINS)
    for script in runtime.scripts.all():
        await approve(runtime.store, script, "tester", datetime.now(UTC))
    engine = runtime.engine
    for playbook, (params, paging, steps, resolving) in RUNS.items():
        incident = await engine.trigger(playbook, params, actor="test")
        for step in steps:
            await _succeeded(runtime, incident.id, step, playbook)
        if paging is not None:  # somebody answers the page
            await wait_for_run(runtime, incident.id, paging, RunStatus.WAITING)
            await engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "cli:lead")
            await wait_for_run(runtime, incident.id, paging, RunStatus.SUCCEEDED)
        await engine.change_status(incident.id, IncidentStatus.RESOLVED, "cli:lead")
        for step in resolving:
            await _succeeded(runtime, incident.id, step, playbook)
    for channel in CHANNELS:
        assert _arrived(provider, far, channel) > 0, channel
    fell = [mail for mail in smtp_server.received if "fallback@example.test" in mail.recipients]
    notes = [
        (entry.incident_id, entry.message)
        for incident in await runtime.store.list_incidents()
        for entry in await runtime.store.timeline(incident.id)
        if entry.kind.startswith("channel.")
    ]
    assert fell == [], "\n".join(map(str, notes))  # nothing fell over to the e-mail backup
