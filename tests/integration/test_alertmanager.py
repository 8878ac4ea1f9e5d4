"""Alert triggers through a real Alertmanager: a Prometheus rule routed to surge's webhook,
resolved notifications, idempotent redelivery, one incident for a group, silences."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from integration.services import (
    ALERT_TOKEN,
    Exporter,
    StartAlertmanager,
    StartPrometheus,
    StartSurge,
    Surge,
    alertmanager_config,
    eventually,
    free_port,
)

CHANNEL_DOWN = """
id: channel-down
title: Channel down
params:
  channel: {type: string, required: true}
  severity: {type: string, default: ""}
  summary: {type: string, default: ""}
triggers:
  - alert:
      matchers: ['alertname=~"ChannelDown|ChannelSlow"']
      params:
        channel: "{{ labels.channel }}"
        severity: "{{ labels.severity | default('') }}"
        summary: "{{ annotations.summary | default('') }}"
      on_clear: resolve
group_by: [channel]
steps:
  - action: log
    with: {message: "{{ params.summary }}"}
"""

RULES = """
groups:
  - name: channels
    rules:
      - alert: ChannelDown
        expr: cs_channel_down > 0
        for: 0s
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.channel }} is down"}
"""

GROUPED = ("alertname", "channel")
FAILED = "alertmanager_notifications_failed_total"


def now() -> datetime:
    return datetime.now(UTC)


def alert(
    name: str, starts: datetime, ends: datetime | None = None, **labels: str
) -> dict[str, Any]:
    """An alert as Prometheus posts it to Alertmanager's API v2."""
    body: dict[str, Any] = {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{labels.get('channel', '?')} is down"},
        "startsAt": starts.isoformat(),
        "generatorURL": "http://127.0.0.1/graph",
    }
    if ends is not None:
        body["endsAt"] = ends.isoformat()
    return body


async def incident_of(server: Surge) -> dict[str, Any] | None:
    found = await server.incidents()
    return found[0] if found else None


async def test_a_prometheus_rule_through_alertmanager_opens_then_resolves_an_incident(
    exporter: Exporter,
    alertmanager: StartAlertmanager,
    prometheus: StartPrometheus,
    surge: StartSurge,
    surge_url: str,
) -> None:
    exporter.set("cs_channel_down", 0, channel="web")
    server = await surge({"channel-down": CHANNEL_DOWN})
    am = await alertmanager(alertmanager_config(surge_url, group_by=GROUPED))
    prom = await prometheus(rules=RULES, alertmanager=am)
    await prom.wait_series("cs_channel_down", 1)
    await prom.wait_alertmanager()
    assert await server.incidents() == []

    exporter.set("cs_channel_down", 1, channel="web")
    incident = await eventually(lambda: incident_of(server), "the alert's incident", timeout=20)
    assert incident["params"] == {
        "channel": "web",
        "severity": "critical",
        "summary": "web is down",
    }
    assert incident["trigger"] == "alert"
    assert incident["triggered_by"] == "alertmanager"  # the alert-source token's name
    assert incident["group_key"] == '["web"]'
    incident_id = int(incident["id"])

    exporter.set("cs_channel_down", 0, channel="web")

    async def resolved() -> dict[str, Any] | None:
        current = await server.incident(incident_id)
        return current if current["status"] == "resolved" else None

    final = await eventually(resolved, "Alertmanager's resolved notification", timeout=20)
    [status] = [entry for entry in final["timeline"] if entry["kind"] == "status"]
    assert status["actor"] == "alertmanager"
    assert "ChannelDown" in status["message"] and "resolved" in status["message"]
    assert len(await server.incidents()) == 1
    assert await am.metric(FAILED, integration="webhook") == 0


@dataclass
class Capture:
    """Stands in for surge's webhook: keeps what Alertmanager sends."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.json_response({"ok": True})


@pytest.fixture
async def capture() -> AsyncIterator[Capture]:
    found = Capture()
    app = web.Application()
    app.router.add_post("/api/v1/alerts/alertmanager", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    found.url = f"http://127.0.0.1:{port}"
    try:
        yield found
    finally:
        await runner.cleanup()


async def test_the_same_notification_delivered_twice_gives_one_incident(
    alertmanager: StartAlertmanager, surge: StartSurge, capture: Capture
) -> None:
    am = await alertmanager(alertmanager_config(capture.url, group_by=GROUPED))
    await am.post_alerts([alert("ChannelDown", now(), channel="app", severity="critical")])
    await asyncio.wait_for(capture.arrived.wait(), timeout=15)
    headers, body = capture.received[0]
    assert headers["Authorization"] == f"Bearer {ALERT_TOKEN}"  # the documented http_config
    payload = json.loads(body)
    assert payload["version"] == "4"
    assert [item["labels"]["channel"] for item in payload["alerts"]] == ["app"]

    server = await surge({"channel-down": CHANNEL_DOWN})
    status, first = await server.post_alerts(body)
    assert status == 200, first
    status, second = await server.post_alerts(body)
    assert status == 200, second
    assert [(r["outcome"], r["incident"]) for r in first["results"]] == [("opened", 1)]
    assert [(r["outcome"], r["incident"]) for r in second["results"]] == [("duplicate", 1)]
    [incident] = await server.incidents()
    assert incident["params"]["channel"] == "app"
    kinds = await server.timeline_kinds(int(incident["id"]))
    assert "alert.joined" not in kinds
    duplicates = await server.metric(
        "surge_signals_total", playbook="channel-down", source="alert", outcome="duplicate"
    )
    assert duplicates == 1


async def test_a_hundred_alerts_of_one_group_give_one_incident_until_the_last_resolves(
    alertmanager: StartAlertmanager, surge: StartSurge, surge_url: str
) -> None:
    server = await surge({"channel-down": CHANNEL_DOWN})
    am = await alertmanager(alertmanager_config(surge_url, group_by=GROUPED))
    started = now() - timedelta(seconds=5)
    pods = [f"p{number:02d}" for number in range(100)]
    await am.post_alerts([alert("ChannelDown", started, channel="web", pod=pod) for pod in pods])

    async def all_joined() -> dict[str, Any] | None:
        found = await server.incidents()
        if not found:
            return None
        assert len(found) == 1, found
        current = await server.incident(int(found[0]["id"]))
        joins = [entry for entry in current["timeline"] if entry["kind"] == "alert.joined"]
        return current if len(joins) == 99 else None

    incident = await eventually(all_joined, "99 alerts to join the first one's incident")
    incident_id = int(incident["id"])
    labels = {"playbook": "channel-down", "source": "alert"}
    await server.wait_metric(99, "surge_signals_total", **labels, outcome="joined")
    assert await server.metric("surge_signals_total", **labels, outcome="opened") == 1
    joined_pods = {
        entry["data"]["labels"]["pod"]
        for entry in incident["timeline"]
        if entry["kind"] == "alert.joined"
    }
    assert len(joined_pods) == 99

    # 99 of them resolve: noted, the incident stays open for the last one
    ended = now() - timedelta(seconds=1)
    await am.post_alerts(
        [alert("ChannelDown", started, ended, channel="web", pod=pod) for pod in pods[1:]]
    )

    async def cleared_99() -> bool:
        current = await server.incident(incident_id)
        notes = [entry for entry in current["timeline"] if entry["kind"] == "signal.cleared"]
        assert current["status"] == "triggered", "resolved before its last alert did"
        return len(notes) == 99

    await eventually(cleared_99, "99 resolved alerts noted on the incident")
    await am.post_alerts([alert("ChannelDown", started, now(), channel="web", pod=pods[0])])

    async def resolved() -> bool:
        return await server.status(incident_id) == "resolved"

    await eventually(resolved, "the incident to resolve with its last alert")
    assert len(await server.incidents()) == 1
    assert await am.metric(FAILED, integration="webhook") == 0


async def test_a_silence_answers_the_alert_but_opens_nothing(
    alertmanager: StartAlertmanager, surge: StartSurge, surge_url: str
) -> None:
    server = await surge({"channel-down": CHANNEL_DOWN})
    code, output = await server.cli(
        "silence", "add", "--match", "alertname=ChannelSlow", "--for", "1h", "--comment", "test"
    )
    assert code == 0, output
    am = await alertmanager(alertmanager_config(surge_url, group_by=GROUPED))
    # two groups; without the silence each would open an incident of its own
    await am.post_alerts(
        [
            alert("ChannelSlow", now(), channel="web"),
            alert("ChannelDown", now(), channel="app"),
        ]
    )
    counters = {"playbook": "channel-down", "source": "alert"}

    async def both_answered() -> bool:
        silenced = await server.metric("surge_signals_total", **counters, outcome="silenced")
        opened = await server.metric("surge_signals_total", **counters, outcome="opened")
        return silenced == 1 and opened == 1

    await eventually(both_answered, "one alert silenced and one opened")
    [incident] = await server.incidents()
    assert incident["params"]["channel"] == "app"
    # Alertmanager was answered 2xx for both notifications: nothing to retry
    sent = await am.metric("alertmanager_notifications_total", integration="webhook")
    assert sent >= 2
    assert await am.metric(FAILED, integration="webhook") == 0

    # the same silenced alert posted by hand: answered 200, outcome silenced, still no incident
    body = json.dumps(
        {
            "version": "4",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "ChannelSlow", "channel": "email"},
                    "annotations": {"summary": "email is slow"},
                    "startsAt": now().isoformat(),
                    "fingerprint": "0123456789abcdef",
                }
            ],
        }
    ).encode()
    status, answer = await server.post_alerts(body)
    assert status == 200, answer
    assert [r["outcome"] for r in answer["results"]] == ["silenced"]
    assert len(await server.incidents()) == 1
