"""docs/channels.md and the three plugins' READMEs: their configs load, and bind every
channel and pager without a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import surge_dingtalk.plugin
import surge_feishu.plugin
import surge_wecom.plugin

from surge.config import parse_config
from surge.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = [surge_wecom.plugin, surge_dingtalk.plugin, surge_feishu.plugin]
SOURCES = [
    ("docs/channels.md", "example: robots-config"),
    ("plugins/wecom/README.md", "wecom-config"),
    ("plugins/dingtalk/README.md", "dingtalk-config"),
    ("plugins/feishu/README.md", "feishu-config"),
]


def block(markdown: str, marker: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n```yaml\n(.*?)```", markdown, re.S)
    assert found, marker
    return found.group(1)


@pytest.mark.parametrize(("source", "marker"), SOURCES)
def test_the_documented_config_binds_every_channel_and_pager(source, marker, tmp_path) -> None:
    text = block((ROOT / source).read_text(encoding="utf-8"), marker)
    if "smtp:" not in text:
        text += 'smtp: {host: smtp.example.com, port: 587, from: "surge <s@example.com>"}\n'
    config = parse_config(
        text + f"store: sqlite:///{tmp_path / 's.db'}\nplaybooks: {tmp_path}\n", "doc.yaml"
    )
    runtime = build_runtime(config, extra_plugins=PLUGINS, load_entry_points=False)
    assert runtime.problems == []
    channels = runtime.engine.services.channels
    assert channels is not None
    for name in config.channels:
        channels.provider(name)  # bound, or ChannelUnavailable says why
    pagers = runtime.engine.services.pagers
    assert pagers is not None and set(pagers.pagers) == set(config.pagers.pagers)


def test_a_robot_channel_without_its_key_is_reported_where_it_is_written(tmp_path) -> None:
    config = parse_config(
        f"store: sqlite:///{tmp_path / 's.db'}\nplaybooks: {tmp_path}\n"
        "channels:\n  room: {provider: dingtalk, secret_env: X, mentoin: []}\n",
        "bad.yaml",
    )
    runtime = build_runtime(config, extra_plugins=PLUGINS, load_entry_points=False)
    assert [str(problem) for problem in runtime.channel_problems] == [
        "bad.yaml:4:45: unknown key 'mentoin' in channels.room; did you mean 'mention'?",
        "bad.yaml:4:9: channels.room needs access_token_env (or access_token)",
    ]


def test_robot_secrets_in_config_or_the_environment_are_masked(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ROOM_KEY", "3f1c-wecom-key-from-env")
    config = parse_config(
        f"store: sqlite:///{tmp_path / 's.db'}\nplaybooks: {tmp_path}\n"
        "channels:\n"
        "  room: {provider: wecom, webhook_key_env: ROOM_KEY}\n"
        "  ding: {provider: dingtalk, access_token: 9a8b7c-token, secret: SECabcdef}\n",
        "s.yaml",
    )
    assert {"3f1c-wecom-key-from-env", "9a8b7c-token", "SECabcdef"} <= set(config.secrets())


def test_a_mention_of_a_team_the_rota_lacks_is_reported(tmp_path, robot_folder) -> None:
    config = parse_config(
        f"store: sqlite:///{tmp_path / 's.db'}\nplaybooks: {tmp_path}\n"
        f"rota: {robot_folder / 'rota.yaml'}\n"
        "channels:\n"
        "  room: {provider: feishu, hook_token: t0k3n,\n"
        "         mention: [{on_shift: cx}, {person: li-wei}]}\n",
        "m.yaml",
    )
    runtime = build_runtime(config, extra_plugins=PLUGINS, load_entry_points=False)
    [problem] = runtime.channel_problems
    assert str(problem).startswith("m.yaml:6:31: channels.room.mention: no team 'cx' in ")
    assert str(problem).endswith("(known: cs)")
