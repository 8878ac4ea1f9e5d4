"""Fixtures for the chat robot plugins' tests: a rota whose people are on shift all day
(so mentions resolve whenever the test runs), the shipped scripts approved, a real SMTP
server for the e-mail backups, and a config built around the channels a test gives."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.paging import ROOT

from surge.config import Config, parse_config
from surge.runtime import Runtime
from surge.scripts.approval import approve

LINK_ENV = "SURGE_TEST_LINK_SECRET"
LINK_SECRET = "link-secret-for-robot-tests"
ROTA = """
timezone: Asia/Shanghai
shifts:
  day: "00:00-24:00"
people:
  li-wei:
    name: 李伟
    contact: [{wecom: liwei}, {email: li.wei@example.test}]
    ids:
      wecom: liwei
      dingtalk: manager0001
      feishu: ou_7d8a6e6df7621556ce0d21922b676706
      mobile: "+8613800000001"
  wang-fang:
    name: 王芳
    contact: [{email: wang.fang@example.test}]
    ids: {mobile: "13800000002"}
  chen-jie:
    name: 陳傑
    locale: zh-TW
    contact: [{email: chen.jie@example.test}]
    ids: {wecom: chenjie, dingtalk: manager0003, feishu: ou_c3f0d9e1a2b3c4d5e6f7a8b9c0d1e2f3}
teams:
  cs: {name: 客服, leads: [chen-jie]}
rotations:
  - {id: day-a, team: cs, shift: day, pattern: daily, start: 2026-01-05, people: [li-wei]}
  - {id: day-b, team: cs, shift: day, pattern: daily, start: 2026-01-05, people: [wang-fang]}
escalation:
  oncall:
    levels:
      - {page: [{on_shift: cs}], wait: 10m}
"""


@pytest.fixture
def robot_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(LINK_ENV, LINK_SECRET)
    folder = tmp_path / "robots"
    folder.mkdir()
    shutil.copytree(ROOT / "config" / "scripts", folder / "scripts")
    (folder / "rota.yaml").write_text(textwrap.dedent(ROTA), encoding="utf-8")
    return folder


@pytest.fixture
def robot_config(
    robot_folder: Path, playbook_dir: Path, smtp_server: Any, store_url: str
) -> Callable[[str], Config]:
    """``robot_config(rest)``: the config, with ``rest`` (channels, plugins, pagers) added."""

    def make(rest: str) -> Config:
        text = textwrap.dedent(f"""
            store: {store_url}
            playbooks: {playbook_dir}
            public_url: http://surge.example.test
            scripts: {{folder: {robot_folder / "scripts"}}}
            rota: {robot_folder / "rota.yaml"}
            engine: {{lease: 1s, poll_interval: 20ms}}
            smtp: {{host: 127.0.0.1, port: {smtp_server.port}, security: none}}
        """)
        return parse_config(text + textwrap.dedent(rest), "test.yaml")

    return make


@pytest.fixture
def robot_runtime(
    make_runtime: Any, robot_config: Callable[[str], Config]
) -> Callable[..., Awaitable[Runtime]]:
    """``await robot_runtime(rest, plugins)``: started, every shipped script approved."""

    async def make(rest: str, plugins: list[object]) -> Runtime:
        runtime: Runtime = await make_runtime(config=robot_config(rest), plugins=plugins)
        for script in runtime.scripts.all():
            await approve(runtime.store, script, "tester", datetime.now(UTC))
        return runtime

    return make
