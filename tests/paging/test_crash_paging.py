"""kill -9 a real ``surge serve`` in the middle of an escalation, start it again: every
level is paged once, and a page cut off mid-send is re-sent only with its own key."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from support.paging import LINK_ENV, LINK_SECRET, ROOT, wait_for_mail
from test_crash import free_port, incident_state, start_server

ROTA = """
timezone: Asia/Shanghai
shifts: {all-day: "00:00-24:00"}
people:
  ann: {name: Ann, locale: en, contact: [{PAGER: ann@example.test}]}
  bo: {name: Bo, locale: en, contact: [{PAGER: bo@example.test}]}
  lee: {name: Lee, locale: en, contact: [{PAGER: lee@example.test}]}
teams:
  cs: {name: CS, leads: [lee]}
rotations:
  - {id: cs, team: cs, shift: all-day, pattern: daily, start: 2030-01-07, people: [ann]}
standby: [bo]
escalation:
  standby-shift:
    levels:
      - {page: [{on_shift: cs}], wait: 2s}
      - {page: [{standby: 1}], wait: 2s}
      - {page: [{lead: cs}], wait: 1h}
"""


async def surge(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "surge", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


def setup(tmp_path: Path, pager: str, pagers: str) -> tuple[Path, int]:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "outage.yaml").write_text(
        "id: outage\ntitle: Web chat down\nsteps:\n"
        "  - {id: page, action: page, with: {policy: standby-shift}}\n",
        encoding="utf-8",
    )
    shutil.copytree(ROOT / "config" / "scripts", tmp_path / "scripts")
    (tmp_path / "rota.yaml").write_text(ROTA.replace("PAGER", pager), encoding="utf-8")
    port = free_port()
    config = tmp_path / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""
        store: sqlite:///{tmp_path}/surge.db
        listen: 127.0.0.1:{port}
        public_url: http://127.0.0.1:{port}
        playbooks: {tmp_path}/playbooks
        scripts: {{folder: {tmp_path}/scripts}}
        rota: {tmp_path}/rota.yaml
        engine: {{lease: 1s, poll_interval: 50ms}}
        """)
        + textwrap.dedent(pagers),
        encoding="utf-8",
    )
    return config, port


async def prepare(config: Path) -> str:
    code, output = await surge(
        "scripts", "approve", "page-oncall", "--by", "tester", "--config", str(config)
    )
    assert code == 0, output
    code, output = await surge("trigger", "outage", "--json", "--config", str(config))
    assert code == 0, output
    return str(json.loads(output)["id"])


@pytest.fixture
def link_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LINK_ENV, LINK_SECRET)  # the server inherits it


async def test_kill_9_while_an_escalation_waits_pages_nobody_twice(
    tmp_path, smtp_server, link_secret
) -> None:
    pagers = f"""
    smtp: {{host: {smtp_server.host}, port: {smtp_server.port}, security: none}}
    pagers:
      links: {{secret_env: {LINK_ENV}}}
      email: {{}}
    """
    config, port = setup(tmp_path, "email", pagers)
    server = await start_server(config, port)
    try:
        incident = await prepare(config)
        await wait_for_mail(smtp_server, 1)  # level 1 paged Ann
        for _ in range(100):  # and recorded it: the step now waits 2s (a kill while the
            # mail is handed over is the other test's case, by webhook)
            if (await incident_state(config, int(incident)))["steps"][0]["status"] == "waiting":
                break
            await asyncio.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)
        await server.wait()
        await asyncio.sleep(2.5)  # level 1's wait runs out while nothing runs
        server = await start_server(config, port)
        received = await wait_for_mail(smtp_server, 3, within=20)
        code, output = await surge("ack", incident, "--config", str(config))
        assert code == 0, output
        for _ in range(100):
            state = await incident_state(config, int(incident))
            if state["steps"][0]["status"] == "succeeded":
                break
            await asyncio.sleep(0.1)
    finally:
        server.terminate()
        await server.wait()
    await asyncio.sleep(0.3)
    assert [mail.recipients[0] for mail in smtp_server.received] == [
        "ann@example.test",
        "bo@example.test",
        "lee@example.test",
    ]
    assert len({mail.message["Message-ID"] for mail in received}) == 3
    assert state["steps"][0]["result"]["acknowledged"] is True
    kinds = Counter(entry["kind"] for entry in state["timeline"])
    assert kinds["page.sent"] == 3 and kinds["page.stopped"] == 1


class SlowGateway:
    """An SMS gateway that takes its time and de-duplicates on Idempotency-Key."""

    def __init__(self) -> None:
        self.arrivals: list[str] = []
        self.sent: dict[str, Any] = {}
        self.slow = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        self.arrivals.append(key)
        if key not in self.sent:
            self.sent[key] = await request.json()
            if len(self.sent) == 1:
                self.slow.set()
                await asyncio.sleep(1.5)  # the first page is slow: surge is killed meanwhile
        return web.json_response({"queued": True})


async def test_kill_9_in_the_middle_of_a_send_resends_with_the_same_key(
    tmp_path, link_secret
) -> None:
    gateway = SlowGateway()
    app = web.Application()
    app.router.add_post("/sms", gateway.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    gateway_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", gateway_port).start()
    pagers = f"""
    pagers:
      links: {{secret_env: {LINK_ENV}}}
      sms: {{type: webhook, url: "http://127.0.0.1:{gateway_port}/sms", secret: gw, timeout: 10s}}
    """
    config, port = setup(tmp_path, "sms", pagers)
    server = await start_server(config, port)
    try:
        incident = await prepare(config)
        await asyncio.wait_for(gateway.slow.wait(), timeout=10)
        os.kill(server.pid, signal.SIGKILL)
        await server.wait()
        server = await start_server(config, port)
        for _ in range(200):
            if len(gateway.sent) == 3:
                break
            await asyncio.sleep(0.1)
        state = await incident_state(config, int(incident))
    finally:
        server.terminate()
        await server.wait()
        await runner.cleanup()
    keys = [
        f"{incident}:steps:page:1/0.{level}/{who}/0"
        for level, who in enumerate(["ann", "bo", "lee"])
    ]
    assert list(gateway.sent) == keys
    # Ann's page was cut off mid-send: sent again with the same key, once; the rest once
    assert Counter(gateway.arrivals) == {keys[0]: 2, keys[1]: 1, keys[2]: 1}
    messages = [entry["message"] for entry in state["timeline"]]
    assert any("was cut off; sending it again with the same idempotency key" in m for m in messages)
