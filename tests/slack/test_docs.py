"""docs/channels.md and plugins/slack/README.md: their config and playbook examples load,
bind every channel without a problem, and the Slack app manifest names what the plugin
calls."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import surge_slack.plugin
import yaml
from surge_slack import routes

from surge.config import parse_config
from surge.playbook import load_playbook
from surge.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
README = (ROOT / "plugins" / "slack" / "README.md").read_text(encoding="utf-8")


def block(markdown: str, marker: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n```yaml\n(.*?)```", markdown, re.S)
    assert found, marker
    return found.group(1)


@pytest.mark.parametrize(
    ("source", "marker"), [(CHANNELS, "example: channels-config"), (README, "slack-config")]
)
def test_the_documented_configs_bind_every_channel(source, marker, tmp_path):
    config = parse_config(
        block(source, marker) + f"store: sqlite:///{tmp_path / 's.db'}\nplaybooks: {tmp_path}\n",
        "doc.yaml",
    )
    runtime = build_runtime(config, extra_plugins=[surge_slack.plugin], load_entry_points=False)
    assert runtime.channel_problems == []
    channels = runtime.engine.services.channels
    assert channels is not None
    for name in config.channels:
        channels.provider(name)  # bound


def test_the_documented_playbook_loads():
    runtime = build_runtime(
        parse_config("playbooks: /nonexistent\n", "c.yaml"), load_entry_points=False
    )
    text = block(CHANNELS, "example: channels-playbook")
    playbook, problems = load_playbook(text, "docs/channels.md", runtime.actions, runtime.templates)
    assert [str(problem) for problem in problems] == []
    assert playbook is not None


def test_the_manifest_points_at_the_routes_and_grants_what_the_plugin_calls():
    manifest = yaml.safe_load(block(README, "slack-manifest"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/surge"
    assert command["url"].endswith(routes.COMMANDS)
    assert manifest["settings"]["interactivity"]["request_url"].endswith(routes.ACTIONS)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {
        "channels:manage",
        "channels:read",
        "channels:history",
        "chat:write",
        "pins:write",
        "usergroups:read",
        "commands",
        "groups:write",
        "im:write",
        "im:history",
    }
    assert needed <= scopes
