"""The end-to-end world: the shipped playbooks, scripts and rota, run by a real surge (its
HTTP app, engine and metric watcher, in this process) against real Prometheus and
Alertmanager, a real SMTP server (aiosmtpd), the local Slack API server driven through
slack-sdk, and an HTTP receiver standing in for the capacity and telephony systems.

Only the bindings are the test's (which Slack, which mail server, where the webhooks
go), as a team's config/surge.yaml would be; the playbooks, scripts and rota are the
files in the checkout.
"""

from __future__ import annotations

import asyncio
import json
import re
import textwrap
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import yaml
from aiohttp import web
from integration.services import ALERT_TOKEN, Exporter, Prometheus
from support.receiver import Receiver
from support.slack import SIGNING_SECRET, TOKEN, Channel, FakeSlack
from support.smtp import Received, SmtpServer

from surge.config import load_config
from surge.notices.model import NoticeVersion
from surge.runtime import Runtime, build_runtime
from surge.scripts.approval import approve
from surge.store.records import RunStatus, StepRun, TimelineEntry
from surge.web.app import app_for
from surge.web.auth import hash_token

ROOT = Path(__file__).resolve().parents[2]
LINK_ENV = "SURGE_E2E_LINK_SECRET"
RESPONDER_TOKEN = "surge_e2e-responder-token"
COMMS_TOKEN = "surge_e2e-comms-token"
HOTLINE = "400-820-8820"
CALL_IN = ("[surge call-in]", "【surge 增援】")  # the call-in page's subject, by locale
PAGE = ("[surge page]", "【surge 呼叫】")  # an escalation page's
OPEN_RUNS = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING)
T = TypeVar("T")

# the Slack ids of the shipped rota's people, so that invitations find them
ROTA_SLACK_IDS = ("U024BE7LH", "U024BE7LJ")


def config_text(
    folder: Path, port: int, prometheus: str, smtp: SmtpServer, slack: FakeSlack, hooks: str
) -> str:
    shipped = yaml.safe_load((ROOT / "config" / "surge.yaml").read_text(encoding="utf-8"))
    components = f"components: {json.dumps(shipped['components'], ensure_ascii=False)}\n"
    return (
        textwrap.dedent(f"""\
        store: sqlite:///{folder / "surge.db"}
        listen: 127.0.0.1:{port}
        public_url: http://127.0.0.1:{port}
        playbooks: {ROOT / "playbooks"}
        scripts: {{folder: {ROOT / "config" / "scripts"}}}
        rota: {ROOT / "config" / "rota.yaml"}
        prometheus: {{url: {prometheus}, interval: 500ms, timeout: 2s}}
        engine: {{lease: 2s, poll_interval: 50ms}}
        auth:
          tokens:
            - {{name: alertmanager, role: alert-source, sha256: {hash_token(ALERT_TOKEN)}}}
            - {{name: lee, role: responder, sha256: {hash_token(RESPONDER_TOKEN)}}}
            - {{name: mei, role: comms, sha256: {hash_token(COMMS_TOKEN)}}}
        smtp: {{host: 127.0.0.1, port: {smtp.port}, security: none,
               from: "surge <surge@example.test>"}}
        webhooks:
          backup-capacity: {{url: "{hooks}/backup-capacity"}}
          ivr: {{url: "{hooks}/ivr"}}
        plugins:
          slack: {{token_env: SLACK_BOT_TOKEN, signing_secret_env: SLACK_SIGNING_SECRET,
                  base_url: "{slack.url}"}}
        channels:
          incident-room: {{provider: slack, name: "inc-{{{{ incident.id }}}}-{{{{ name }}}}"}}
          agents: {{provider: slack, channel: cs-agents}}
          leadership: {{provider: email, to: [leadership@example.test]}}
          departments: {{provider: email, to: [quality@example.test, legal@example.test]}}
        hotlines:
          customer: {{number: "{HOTLINE}", open: {{webhook: ivr}}, close: {{webhook: ivr}}}}
        pagers:
          links: {{secret_env: {LINK_ENV}, ttl: 1h}}
          email: {{}}
          sms: {{type: webhook, url: "{hooks}/sms"}}
        """)
        + components
    )


@dataclass
class E2E:
    runtime: Runtime
    url: str
    http: aiohttp.ClientSession
    slack: FakeSlack
    smtp: SmtpServer
    hooks: Receiver
    exporter: Exporter
    prometheus: Prometheus
    config: Path  # its config file, for the CLI (`surge … --config`)

    # -- waiting --

    async def eventually(
        self, check: Callable[[], Awaitable[T | None]], what: str, within: float = 15.0
    ) -> T:
        deadline = time.monotonic() + within
        while True:
            found = await check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {within:g}s (last: {found!r})")
            await asyncio.sleep(0.05)

    async def opened(self, playbook: str, within: float = 20.0) -> int:
        async def find() -> int | None:
            for incident in await self.runtime.store.list_incidents():
                if incident.playbook_id == playbook:
                    return incident.id
            return None

        return await self.eventually(find, f"an incident of {playbook}", within)

    async def status(self, incident: int, status: str, within: float = 20.0) -> None:
        async def reached() -> bool:
            found = await self.runtime.store.get_incident(incident)
            return found is not None and found.status.value == status

        await self.eventually(reached, f"incident {incident} {status}", within)

    async def run(self, incident: int, step: str, status: RunStatus) -> StepRun:
        async def latest() -> StepRun | None:
            runs = [r for r in await self.runtime.store.runs(incident) if r.step_id == step]
            return runs[-1] if runs and runs[-1].status is status else None

        return await self.eventually(latest, f"step {step} {status.value}")

    async def settled(self, incident: int, within: float = 20.0) -> list[StepRun]:
        async def done() -> list[StepRun] | None:
            runs = await self.runtime.store.runs(incident)
            return None if any(run.status in OPEN_RUNS for run in runs) else runs

        return await self.eventually(done, f"incident {incident}'s steps done", within)

    async def mails(self, count: int, *subjects: str) -> list[Received]:
        """Wait for ``count`` mails whose subject has one of ``subjects`` (a page's subject
        is in the person's language: "[surge call-in]", "【surge 增援】")."""

        def wanted(mail: Received) -> bool:
            return any(text in str(mail.message["Subject"]) for text in subjects)

        async def arrived() -> list[Received] | None:
            found = [mail for mail in self.smtp.received if wanted(mail)]
            return found if len(found) >= count else None

        return await self.eventually(arrived, f"{count} mails {subjects!r}")

    async def public(self, path: str) -> Any:
        """A public page (no token), as customers and their widgets read it: JSON for
        ``.json``, else the text."""
        async with self.http.get(f"{self.url}{path}") as answer:
            assert answer.status == 200, f"GET {path}: {answer.status}"
            return await answer.json() if ".json" in path else await answer.text()

    def public_until(self, path: str, check: Callable[[Any], bool]) -> Callable[[], Awaitable[Any]]:
        """For ``eventually``: the public page once ``check`` holds for it (the pages are
        rebuilt from a snapshot a moment after a change)."""

        async def read() -> Any:
            found = await self.public(path)
            return found if check(found) else None

        return read

    async def notice_versions(self, incident: int) -> list[NoticeVersion]:
        """Every version of the incident's notices, oldest first."""
        store = self.runtime.store
        found = []
        for notice in sorted(await store.notices(incident_id=incident), key=lambda n: n.id):
            found.extend(await store.notice_versions(notice.id))
        return found

    async def timeline(self, incident: int) -> list[TimelineEntry]:
        return await self.runtime.store.timeline(incident)

    async def kinds(self, incident: int) -> list[str]:
        return [entry.kind for entry in await self.timeline(incident)]

    async def room(self, incident: int) -> Channel | None:
        """The Slack channel surge made as the incident's room, once it has its summary."""
        for channel in self.slack.channels.values():
            if channel.name.startswith(f"inc-{incident}-") and channel.messages:
                return channel
        return None

    # -- acting as people --

    async def open_link(self, mail: Received, action: str) -> int:
        """Open the page's link that does ``action`` (ack, accept, decline) and press its
        button, as the person would: the GET shows the button, the POST answers."""
        found = re.search(rf"https?://\S+/page/\d+\.{action}\.\S+", mail.text)
        assert found, f"no {action} link in {mail.text!r}"
        async with self.http.get(found.group(0)) as shown:
            if shown.status != 200:  # used or expired: the page says so, with no button
                return shown.status
        async with self.http.post(found.group(0)) as answer:
            return answer.status

    async def post(self, path: str, body: Mapping[str, Any], token: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.post(f"{self.url}{path}", json=body, headers=headers) as answer:
            return answer.status, await answer.json()

    async def get_text(self, path: str, token: str = RESPONDER_TOKEN) -> str:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.get(f"{self.url}{path}", headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.text()

    async def get(self, path: str, token: str = RESPONDER_TOKEN) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.get(f"{self.url}{path}", headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.json()


async def start_surge(
    folder: Path,
    port: int,
    prometheus: Prometheus,
    smtp: SmtpServer,
    slack: FakeSlack,
    hooks: Receiver,
    exporter: Exporter,
    http: aiohttp.ClientSession,
) -> tuple[E2E, web.AppRunner]:
    base = hooks.url.rsplit("/", 1)[0]
    path = write_config(folder, config_text(folder, port, prometheus.url, smtp, slack, base))
    runtime = build_runtime(load_config(str(path)))
    assert runtime.problems == [], runtime.problems
    app = app_for(runtime)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # opens the store and starts the engine and the watcher
    await web.TCPSite(runner, "127.0.0.1", port).start()
    for script in runtime.scripts.all():
        await approve(runtime.store, script, "mei", runtime.engine.clock())
    url = f"http://127.0.0.1:{port}"
    world = E2E(runtime, url, http, slack, smtp, hooks, exporter, prometheus, path)
    return world, runner


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "surge.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def ivr_reply(received: Any) -> Any:
    """The telephony system answers an open with the number customers call."""
    body = received.json() if received.body else {}
    return {"number": HOTLINE} if body.get("event") == "hotline.open" else {"ok": True}


SLACK_ENV = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}


async def has_text(messages: list[dict[str, Any]], text: str) -> bool:
    """Whether a Slack message (its text or blocks) has ``text``; for ``eventually``."""
    return any(text in str(message) for message in messages)


async def holds(value: bool) -> bool:
    return value
