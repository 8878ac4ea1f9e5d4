"""Fixtures for the end-to-end tests: the real services of tests/integration (Prometheus,
Alertmanager, the exporter), SMTP, the local Slack API server, a receiver for the
webhooks, and ``start``, which runs surge on them with the shipped tree (world.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from integration.conftest import (  # noqa: F401  (fixtures)
    alertmanager,
    exporter,
    http,
    processes,
    prometheus,
    surge_port,
    surge_url,
)
from integration.services import (
    Exporter,
    StartAlertmanager,
    StartPrometheus,
    alertmanager_config,
)
from support.receiver import Receiver
from support.slack import FakeSlack, slack_app
from support.smtp import SmtpServer

from e2e.world import E2E, LINK_ENV, ROTA_SLACK_IDS, SLACK_ENV, ivr_reply, start_surge

Start = Callable[..., Awaitable[E2E]]


@pytest.fixture
async def fake_slack(aiohttp_server: Any) -> FakeSlack:
    slack = FakeSlack()
    server = await aiohttp_server(slack_app(slack), host="127.0.0.1")
    slack.url = str(server.make_url("/api/"))
    slack.add_channel("cs-agents")
    slack.add_users(*ROTA_SLACK_IDS)
    return slack


@pytest.fixture
async def hooks(aiohttp_server: Any) -> Receiver:
    receiver = await Receiver.serve(aiohttp_server)
    receiver.reply = ivr_reply
    return receiver


@pytest.fixture
async def start(
    tmp_path: Path,
    surge_port: int,  # noqa: F811
    surge_url: str,  # noqa: F811
    alertmanager: StartAlertmanager,  # noqa: F811
    prometheus: StartPrometheus,  # noqa: F811
    smtp_server: SmtpServer,
    fake_slack: FakeSlack,
    hooks: Receiver,
    exporter: Exporter,  # noqa: F811
    http: aiohttp.ClientSession,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Start]:
    """``await start(rules, history=None)``: Alertmanager routing to surge, Prometheus
    scraping the exporter with ``rules`` (and ``history`` backfilled), and surge serving
    the shipped tree, all ready: Prometheus has scraped and found Alertmanager."""
    monkeypatch.setenv(LINK_ENV, "e2e-link-secret")
    for name, value in SLACK_ENV.items():
        monkeypatch.setenv(name, value)
    runners: list[web.AppRunner] = []

    async def run(rules: str, history: str | None = None) -> E2E:
        am = await alertmanager(alertmanager_config(surge_url))
        prom = await prometheus(rules=rules, alertmanager=am, history=history)
        world, runner = await start_surge(
            tmp_path / "surge", surge_port, prom, smtp_server, fake_slack, hooks, exporter, http
        )
        runners.append(runner)
        await prom.wait_alertmanager()
        await prom.eventually_scraped()
        return world

    yield run
    for runner in runners:
        await runner.cleanup()
