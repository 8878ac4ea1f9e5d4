"""Fixtures for the Slack tests: the local Slack server, a config that points the plugin
at it, approved scripts, and Slack's request signing done the way Slack does it."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import surge_slack.plugin
from support import waiting
from support.paging import ROOT
from support.slack import (
    PEOPLE,
    RESPONDER,
    SIGNING_SECRET,
    TOKEN,
    VIEWER,
    FakeSlack,
    SlackServer,
)

from surge.config import Config, parse_config
from surge.runtime import Runtime
from surge.scripts.approval import approve

# Everyone of team cs is on shift all day; Ann and bo have a Slack id as a contact method
# of the slack pager, Mei in `ids` (she is not paged by Slack), Cy none. The policy pages
# bo, then Ann.
ROTA = f"""
timezone: UTC
shifts: {{all-day: "00:00-24:00"}}
people:
  ann: {{name: Ann, locale: en, roles: [lead],
         contact: [{{slack: {PEOPLE["ann"]}}}, {{email: ann@example.test}}]}}
  bo: {{name: 薄波, roles: [agent],
        contact: [{{slack: {PEOPLE["bo"]}}}, {{email: bo@example.test}}]}}
  cy: {{name: Cy, locale: en, contact: [{{email: cy@example.test}}]}}
  mei: {{name: Mei, locale: zh-TW, roles: [comms], contact: [{{email: mei@example.test}}],
         ids: {{slack: {PEOPLE["mei"]}}}}}
teams:
  cs: {{name: Customer service, leads: [ann]}}
  night: {{name: Night desk}}
rotations:
  - {{id: cs-ann, team: cs, shift: all-day, pattern: daily, start: 2026-01-05, people: [ann]}}
  - {{id: cs-bo, team: cs, shift: all-day, pattern: daily, start: 2026-01-05, people: [bo]}}
  - {{id: cs-cy, team: cs, shift: all-day, pattern: daily, start: 2026-01-05, people: [cy]}}
standby: [mei]
escalation:
  slack-first:
    levels:
      - {{page: [{{person: bo}}], wait: 5m}}
      - {{page: [{{person: ann}}], wait: 5m}}
"""
SCRIPT = """
id: agents-update
title: Agents update
author: ana
vars:
  service: {type: string, required: true}
  hotline: {type: string, default: "none yet"}
locales:
  zh-CN: "{{ service }}暂时无法使用，请引导客户拨打临时热线{{ hotline }}。"
  en: "{{ service }} is down; send customers to the temporary hotline {{ hotline }}."
rules:
  forbidden: {"*": ["100%"], en: [guarantee]}
"""
CHANNELS = """
channels:
  incident-room:
    provider: slack
    name: "inc-{{ incident.id }}-{{ name }}"
    invite: [U0RESP01, S0GROUP1]
    backup: room-mail
  agents: {provider: slack, channel: cs-agents, locales: [zh-CN, en], backup: agents-mail}
  agents-mail: {provider: email, to: [agents@example.com]}
  room-mail: {provider: email, to: [oncall@example.com]}
"""


@pytest.fixture
async def slack_server() -> AsyncIterator[SlackServer]:
    """The local Slack, on loopback; ``stop()`` and ``start()`` it to cut Slack off."""
    server = SlackServer(FakeSlack())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def fake_slack(slack_server: SlackServer) -> FakeSlack:
    slack = slack_server.slack
    slack.add_channel("cs-agents")
    slack.add_users(RESPONDER, VIEWER, "U0GRP001", "U0GRP002", *PEOPLE.values())
    slack.usergroups["S0GROUP1"] = ["U0GRP001", "U0GRP002", RESPONDER]
    return slack


async def approve_all(runtime: Runtime) -> None:
    for script in runtime.scripts.all():
        await approve(runtime.store, script, "bo", datetime.now(UTC))


@pytest.fixture
def with_rota(tmp_path: Path) -> str:
    """The config lines of a rota (support.slack.ROTA) and the slack and email pagers."""
    path = tmp_path / "rota.yaml"
    path.write_text(textwrap.dedent(ROTA), encoding="utf-8")
    return f"rota: {path}\npagers: {{slack: {{}}, email: {{}}}}\n"


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    return waiting.eventually


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)


@pytest.fixture
def slack_config(
    tmp_path: Path,
    playbook_dir: Path,
    fake_slack: FakeSlack,
    smtp_server: Any,
    slack_env: None,
    store_url: str,
) -> Callable[..., Config]:
    """``slack_config(channels=CHANNELS, extra="")``: a parsed config on the local servers."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "agents-update.yaml").write_text(SCRIPT, encoding="utf-8")
    for shipped in ("page-oncall", "outage-initial", "outage-resolved"):
        shutil.copy(ROOT / "config" / "scripts" / f"{shipped}.yaml", scripts)

    def make(channels: str = CHANNELS, extra: str = "") -> Config:
        text = textwrap.dedent(f"""
            store: {store_url}
            playbooks: {playbook_dir}
            scripts: {{folder: {scripts}}}
            engine: {{lease: 1s, poll_interval: 20ms}}
            smtp: {{host: 127.0.0.1, port: {smtp_server.port}, security: none}}
            plugins:
              slack:
                token_env: SLACK_BOT_TOKEN
                signing_secret_env: SLACK_SIGNING_SECRET
                base_url: {fake_slack.url}
                team: T0TEST01
                users:
                  {RESPONDER}: {{name: lee, role: responder}}
                  {VIEWER}: {{name: vic, role: viewer, locale: zh-CN}}
        """)
        return parse_config(text + textwrap.dedent(channels) + textwrap.dedent(extra), "t.yaml")

    return make


@pytest.fixture
def slack_runtime(
    make_runtime: Any, slack_config: Callable[..., Config]
) -> Callable[..., Awaitable[Runtime]]:
    """A started runtime with the Slack plugin and the script approved."""

    async def make(
        channels: str = CHANNELS, extra: str = "", start: bool = True, approved: bool = True
    ) -> Runtime:
        runtime: Runtime = await make_runtime(
            config=slack_config(channels, extra), plugins=[surge_slack.plugin], start=start
        )
        if approved:
            await approve_all(runtime)
        return runtime

    return make
