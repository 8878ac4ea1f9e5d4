"""Kill -9 a real `surge serve` while Slack is answering a channel.post, start it again:
the message is in the channel once (found by its key in the history, not posted again)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import textwrap
from pathlib import Path

import pytest
from aiohttp import web
from support.slack import SIGNING_SECRET, TOKEN, FakeSlack, slack_app
from test_crash import free_port, incident_state, start_server, surge

SCRIPT = """
id: agents-update
title: Agents update
vars: {service: {type: string, required: true}}
locales:
  en: "{{ service }} is down; use the temporary hotline."
"""


def write_setup(tmp_path: Path, slack_url: str, port: int) -> Path:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "agents-update.yaml").write_text(SCRIPT)
    (tmp_path / "playbooks" / "tell.yaml").write_text(
        textwrap.dedent("""
        id: tell
        title: Tell the agents
        steps:
          - {id: one, action: channel.post, with: {channel: agents, script: agents-update,
             vars: {service: Web chat}}}
          - {id: two, action: channel.post, with: {channel: agents, script: agents-update,
             vars: {service: App}}}
    """)
    )
    config = tmp_path / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""
        store: sqlite:///{tmp_path}/surge.db
        listen: 127.0.0.1:{port}
        playbooks: {tmp_path}/playbooks
        scripts: {{folder: {tmp_path}/scripts}}
        engine: {{lease: 1s, poll_interval: 50ms}}
        plugins:
          slack:
            token_env: SLACK_BOT_TOKEN
            signing_secret_env: SLACK_SIGNING_SECRET
            base_url: "{slack_url}"
        channels:
          agents: {{provider: slack, channel: cs-agents}}
    """)
    )
    return config


@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)  # the servers started below inherit them
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    fake = FakeSlack()
    runner = web.AppRunner(slack_app(fake))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}/api/"
    fake.add_channel("cs-agents")
    yield fake
    await runner.cleanup()


async def test_kill_9_while_slack_answers_a_post_then_restart_posts_it_once(
    tmp_path: Path, slack: FakeSlack
) -> None:
    port = free_port()
    config = write_setup(tmp_path, slack.url, port)
    code, output = await surge(
        "scripts", "approve", "agents-update", "--by", "bo", "--config", str(config)
    )
    assert code == 0, output
    slack.delay("chat.postMessage", 5.0)  # Slack takes the message, then answers late
    server = await start_server(config, port)
    try:
        code, output = await surge("trigger", "tell", "--json", "--config", str(config))
        assert code == 0, output
        incident_id = json.loads(output)["id"]
        await asyncio.wait_for(slack.wait_for(lambda: slack.calls_of("chat.postMessage")), 15)
        os.kill(server.pid, signal.SIGKILL)
        await server.wait()
        before = await incident_state(config, incident_id)
        assert [(s["step"], s["status"]) for s in before["steps"]] == [("one", "running")]
        assert len(slack.posted("cs-agents")) == 1  # it reached Slack before the kill

        slack.delay("chat.postMessage", 0.0)
        server = await start_server(config, port)
        for _ in range(200):
            state = await incident_state(config, incident_id)
            if [s["status"] for s in state["steps"]] == ["succeeded", "succeeded"]:
                break
            await asyncio.sleep(0.1)
    finally:
        if server.returncode is None:
            server.terminate()
            await server.wait()
    assert [(s["step"], s["attempt"], s["status"]) for s in state["steps"]] == [
        ("one", 1, "succeeded"),
        ("two", 1, "succeeded"),
    ]
    messages = slack.posted("cs-agents")
    assert [message["text"] for message in messages] == [
        "Web chat is down; use the temporary hotline.",
        "App is down; use the temporary hotline.",
    ]
    assert len(slack.calls_of("chat.postMessage")) == 2  # one each: `one` was not re-posted
    [look] = slack.calls_of("conversations.history")  # the restarted engine looked first
    assert look.query["include_all_metadata"] in ("1", "true")
    assert state["steps"][0]["result"]["ref"] == messages[0]["ts"]
    notes = [entry["message"] for entry in state["timeline"]]
    assert any("one: the engine stopped while this step was running" in m for m in notes)
