"""Neighbours that stop and start again during a run: Prometheus and Alertmanager (the
alert path) and the SMTP server (the e-mail path). No incident is resolved because a
neighbour went away, and deliveries resume once it is back."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from integration.services import (
    Alertmanager,
    Exporter,
    Processes,
    StartAlertmanager,
    StartPrometheus,
    StartSurge,
    Surge,
    alertmanager_config,
    eventually,
    stays,
)
from support.smtp import SmtpServer

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec
from surge.config import Config
from surge.mail import MailError, compose, send
from surge.plugin import hookimpl

CHANNEL_DOWN = """
id: channel-down
title: Channel down
params:
  channel: {type: string, required: true}
triggers:
  - alert:
      match: {alertname: ChannelDown}
      params: {channel: "{{ labels.channel }}"}
      on_clear: resolve
group_by: [channel]
steps:
  - {action: log, with: {message: "{{ params.channel }} is down"}}
"""
RULES = """
groups:
  - name: channels
    rules:
      - alert: ChannelDown
        expr: cs_channel_down > 0
        for: 0s
"""


async def by_channel(server: Surge) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for incident in await server.incidents():
        found.setdefault(incident["params"]["channel"], []).append(incident)
    return found


async def restart_alertmanager(processes: Processes, old: Alertmanager, http: Any) -> Alertmanager:
    """The same Alertmanager again: same port, same storage (its silences, its log of
    what it notified)."""
    old.process.stop()
    process = processes.start("alertmanager", old.process.argv)
    await process.wait_ready(http, f"{old.url}/-/ready")
    return Alertmanager(old.url, old.port, process, http)


async def test_prometheus_and_alertmanager_restarts_neither_resolve_nor_lose_alerts(
    exporter: Exporter,
    alertmanager: StartAlertmanager,
    prometheus: StartPrometheus,
    surge: StartSurge,
    surge_url: str,
    processes: Processes,
    http: Any,
) -> None:
    exporter.set_many(
        ("cs_channel_down", {"channel": "web"}, 1), ("cs_channel_down", {"channel": "app"}, 0)
    )
    server = await surge({"channel-down": CHANNEL_DOWN})
    am = await alertmanager(alertmanager_config(surge_url, group_by=("alertname", "channel")))
    prom = await prometheus(rules=RULES, alertmanager=am)
    await prom.wait_alertmanager()
    [web] = (await eventually(lambda: by_channel(server), "the web incident", timeout=20))["web"]

    async def web_open_alone() -> bool:
        found = await by_channel(server)
        return [i["status"] for i in found["web"]] == ["triggered"] and "app" not in found

    # both neighbours go away and come back, one after the other, while the alert fires
    am.process.stop()
    await stays(web_open_alone, "the web incident while Alertmanager is down", 2.0)
    prom.process.stop()
    await stays(web_open_alone, "the web incident while both are down", 2.0)
    am = await restart_alertmanager(processes, am, http)
    prom = await prometheus.restart(prom)
    await prom.wait_alertmanager()
    await stays(web_open_alone, "the web incident once both are back", 3.0)

    # deliveries resume: a new alert opens its incident, the old one resolves when it ends
    exporter.set_many(
        ("cs_channel_down", {"channel": "web"}, 0), ("cs_channel_down", {"channel": "app"}, 1)
    )

    async def resumed() -> bool:
        found = await by_channel(server)
        web_status = [i["status"] for i in found["web"]]
        app_status = [i["status"] for i in found.get("app", [])]
        return web_status == ["resolved"] and app_status == ["triggered"]

    await eventually(resumed, "app to open and web to resolve after the restarts", timeout=30)
    timeline = (await server.incident(int(web["id"])))["timeline"]
    resolved = [entry for entry in timeline if entry["kind"] == "status"]
    assert len(resolved) == 1 and resolved[0]["actor"] == "alertmanager", resolved


class Mailer:
    """A test action that e-mails through surge's one SMTP client, as pagers will: a
    failed delivery is a retryable step failure."""

    name = "mailer"

    @hookimpl
    def surge_register_actions(self) -> Iterable[ActionSpec]:
        return [ActionSpec("mail", self.mail, uses_idempotency_key=True)]

    async def mail(self, ctx: ActionContext) -> ActionResult:
        settings = ctx.config.smtp
        assert settings is not None
        message = compose(
            settings,
            ["standby@example.test"],
            f"incident {ctx.incident.id}",
            "web chat is down",
            idempotency_key=ctx.idempotency_key,
        )
        try:
            await send(settings, message)
        except MailError as error:
            raise ActionError(str(error), retryable=error.retryable) from None
        return {"sent": message["Message-ID"]}


MAILING = """
    id: mailing
    title: Mails the standby shift
    steps:
      - {id: mail, action: mail, retry: {attempts: 30, backoff: 100ms, max_backoff: 200ms}}
"""


async def test_smtp_down_then_back_delivers_every_page_once(
    make_runtime: Any,
    config: Config,
    write_playbook: Callable[[str, str], Path],
    tmp_path: Path,
) -> None:
    smtp = SmtpServer.start(tmp_path)
    port = smtp.port
    write_playbook("mailing", MAILING)
    setup = dataclasses.replace(config, smtp=smtp.settings(timeout=2.0))
    runtime = await make_runtime(config=setup, plugins=[Mailer()])
    try:
        first = await runtime.engine.trigger("mailing", {}, actor="test")
        await asyncio.to_thread(smtp.wait_for, 1)
        smtp.stop()
        during = [await runtime.engine.trigger("mailing", {}, actor="test") for _ in range(3)]

        async def failing() -> bool:
            runs = [r for i in during for r in await runtime.store.runs(i.id)]
            return bool(sum(r.status.value == "failed" for r in runs) >= 3)

        await eventually(failing, "deliveries to fail while SMTP is down", timeout=15)
        smtp = SmtpServer.start(tmp_path, port=port)
        received = await asyncio.to_thread(smtp.wait_for, 3, 20.0)
        assert len(received) == 3
        ids = sorted(message.message["Message-ID"] for message in received)
        assert len(set(ids)) == 3  # each incident's page once, none twice

        async def all_sent() -> bool:
            last = [(await runtime.store.runs(i.id))[-1] for i in [first, *during]]
            return all(run.status.value == "succeeded" for run in last)

        await eventually(all_sent, "every page's step to succeed", timeout=10)
        assert len(smtp.received) == 3  # and nothing more arrived meanwhile
        timeline = await runtime.store.timeline(during[0].id)
        assert any("cannot deliver through" in entry.message for entry in timeline)
    finally:
        smtp.stop()
