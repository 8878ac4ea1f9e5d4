"""A small world for the paging tests: a rota, a real SMTP server, approved page scripts
and a clock the test moves by hand (the fixtures are in tests/paging/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import re
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from surge.config import Config, parse_config
from surge.runtime import Runtime
from surge.scripts.approval import approve
from surge.store.records import RunStatus, StepRun

ROOT = Path(__file__).resolve().parents[2]
LINK_SECRET = "link-secret-for-tests"
LINK_ENV = "SURGE_TEST_LINK_SECRET"

# Shanghai: 09:00 on a Monday, during the early shift
START = datetime(2030, 6, 3, 1, 0, tzinfo=UTC)

ROTA = """
timezone: Asia/Shanghai
shifts:
  early: "08:00-16:00"
  night: "00:00-08:00"
people:
  ann: {name: Ann, locale: en, contact: [{email: ann@example.test}]}
  bo: {name: 薄波, contact: [{email: bo@example.test}]}
  cy: {name: Cy, locale: en, contact: [{email: cy@example.test}]}
  di: {name: 狄迪, locale: zh-TW, contact: [{email: di@example.test}]}
  lee: {name: Lee, locale: en, roles: [lead], contact: [{email: lee@example.test}]}
teams:
  cs: {name: Customer service, leads: [lee]}
rotations:
  - {id: cs-early, team: cs, shift: early, pattern: weekly, start: 2030-01-07, people: [ann]}
  - {id: cs-night, team: cs, shift: night, pattern: daily, start: 2030-01-07, people: [cy]}
standby: [bo, cy, di]
escalation:
  standby-shift:
    repeat: 1
    levels:
      - {page: [{on_shift: cs}], wait: 5m}
      - {page: [{standby: 1}], wait: 5m}
      - {page: [{lead: cs}], wait: 5m}
"""

PAGE_PLAYBOOK = """
id: outage
title: Web chat down
steps:
  - {id: page, action: page, with: {policy: standby-shift}}
  - {id: after, action: log, with: {message: "paged: {{ steps.page.result.acknowledged }}"}}
"""


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    folder: Path
    smtp: Any
    store: str  # the store_url fixture's: SQLite, or PostgreSQL with SURGE_TEST_STORE
    text: dict[str, str] = field(default_factory=dict)

    def smtp_line(self) -> str:
        """The test server's settings: plain, or STARTTLS with a login (tls=True)."""
        smtp = self.smtp.settings()
        values = {
            "host": smtp.host,
            "port": smtp.port,
            "security": smtp.security,
            "from": smtp.sender,
            **(
                {"username": smtp.username, "password_env": smtp.password_env}
                if smtp.username
                else {}
            ),
            **({"ca_file": smtp.ca_file} if smtp.ca_file else {}),
        }
        return json.dumps(values)

    def config(self, pagers: str = "", rota: str = ROTA) -> Config:
        """The config; ``pagers`` replaces the pagers: section (e-mail and links)."""
        (self.folder / "rota.yaml").write_text(textwrap.dedent(rota), encoding="utf-8")
        text = f"""
        store: {self.store}
        playbooks: {self.folder}/playbooks
        public_url: http://surge.example.test
        scripts: {{folder: {self.folder}/scripts}}
        rota: {self.folder}/rota.yaml
        engine: {{lease: 1s, poll_interval: 20ms}}
        smtp: {self.smtp_line()}
        """
        pagers = (
            pagers
            or f"""
        pagers:
          links: {{secret_env: {LINK_ENV}, ttl: 30m}}
          email: {{}}
        """
        )
        return parse_config(textwrap.dedent(text) + textwrap.dedent(pagers), "test.yaml")


async def approve_scripts(runtime: Runtime) -> None:
    for script in runtime.scripts.all():
        await approve(runtime.store, script, "tester", START)


async def wait_for_mail(smtp: Any, count: int, within: float = 10.0) -> list[Any]:
    received: list[Any] = await asyncio.to_thread(smtp.wait_for, count, within)
    assert len(received) >= count, f"{len(received)} messages arrived, wanted {count}"
    return received


async def wait_for_run(
    runtime: Runtime, incident_id: int, step: str, status: RunStatus, within: float = 10.0
) -> StepRun:
    """The latest run of ``step`` once it has ``status``."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        runs = [run for run in await runtime.store.runs(incident_id) if run.step_id == step]
        if runs and runs[-1].status is status:
            return runs[-1]
        if asyncio.get_running_loop().time() > deadline:
            seen = [(run.step_id, run.status.value, run.error) for run in runs]
            raise AssertionError(f"{step} did not become {status.value}: {seen}")
        await asyncio.sleep(0.02)


def link_in(text: str) -> str:
    found = re.search(r"https?://\S+/page/\S+", text)
    assert found, f"no link in {text!r}"
    return found.group(0)
