"""The Slack plugin's settings: found by its entry point, problems with positions, secrets
from the environment that never reach a timeline."""

from __future__ import annotations

import surge_slack.plugin
from support.slack import SIGNING_SECRET, TOKEN

from surge.config import parse_config
from surge.plugin.manager import PluginManager
from surge.runtime import build_runtime


def test_the_installed_distribution_registers_the_plugin_by_its_entry_point():
    manager = PluginManager(load_entry_points=True)
    [slack] = [info for info in manager.plugins() if info.name == "slack"]
    assert not slack.builtin and slack.version == "0.1.0"
    assert slack.hooks == (
        "surge_register_channel_providers",
        "surge_register_pagers",
        "surge_web_routes",
    )
    assert "slack" in manager.channel_providers()


def test_bad_settings_are_reported_where_they_are_written(tmp_path):
    text = (
        f"store: sqlite:///{tmp_path / 's.db'}\n"
        "plugins:\n"
        "  slack:\n"
        "    tokn_env: X\n"
        "    signing_secret_env: Y\n"
        "    users: {lee: {name: lee, role: boss}}\n"
        "channels:\n"
        "  a: {provider: slack, channel: cs-agents, name: room}\n"
        "  b: {provider: slack, colour: red}\n"
        "  c: {provider: slack, name: '{{ incident.id'}\n"
    )
    runtime = build_runtime(
        parse_config(text, "c.yaml"), extra_plugins=[surge_slack.plugin], load_entry_points=False
    )
    found = [str(problem) for problem in runtime.channel_problems]
    assert "c.yaml:4:5: unknown key 'tokn_env' in plugins.slack; did you mean 'token_env'?" in found
    assert "c.yaml:4:5: plugins.slack is missing required key 'token_env'" in found
    assert "c.yaml:6:13: plugins.slack.users.lee: a Slack user id looks like U0123ABCD" in found
    assert any("c.yaml:8:50: channels.a: give `channel:`" in line for line in found), found
    assert any(line.startswith("c.yaml:9:24: unknown key 'colour' in channels.b") for line in found)
    assert any(line.startswith("c.yaml:10:30: channels.c.name:") for line in found), found


def test_without_the_plugin_section_a_slack_channel_says_what_to_add(tmp_path):
    text = f"store: sqlite:///{tmp_path / 's.db'}\nchannels:\n  a: {{provider: slack}}\n"
    runtime = build_runtime(
        parse_config(text, "c.yaml"), extra_plugins=[surge_slack.plugin], load_entry_points=False
    )
    [problem] = runtime.channel_problems
    assert "the slack provider needs `plugins: {slack:" in problem.message


def test_the_token_and_signing_secret_are_masked(slack_config):
    config = slack_config()
    secrets = config.secrets()
    assert TOKEN in secrets and SIGNING_SECRET in secrets


async def test_without_a_token_the_post_falls_over_and_says_what_to_export(
    slack_runtime, write_playbook, wait_settled, monkeypatch, fake_slack
):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    write_playbook(
        "pb",
        """
        id: pb
        title: No token
        steps:
          - {id: say, action: channel.post, with: {channel: agents, script: agents-update,
             vars: {service: web}}}
        """,
    )
    runtime = await slack_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.result["delivered_to"] == "agents-mail"
    notes = [entry.message for entry in await runtime.store.timeline(incident.id)]
    assert any("no Slack token: export SLACK_BOT_TOKEN" in note for note in notes)
    assert fake_slack.calls == []
