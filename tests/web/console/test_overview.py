"""On call, the triggers' states and the silences in force; the audit log for admins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from surge.playbook.model import AlertTrigger, MetricTrigger, Playbook
from surge.store.records import Silence, TriggerPhase, TriggerState
from surge.triggers.matchers import Matcher
from surge.web.console.overview import trigger_rows
from surge.web.keys import RUNTIME

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
METRIC = MetricTrigger("sum by (channel) (rate(errors[5m])) > 5", id="errors")
ALERT = AlertTrigger((Matcher.create("alertname", "=", "ChannelDown"),))


def state(channel: str, phase: TriggerPhase) -> TriggerState:
    labels = {"channel": channel}
    return TriggerState("outage", "errors", json.dumps(labels), phase, T0, labels, 7.5)


def silence(matcher: str) -> Silence:
    return Silence(1, [matcher], T0, T0 + timedelta(hours=1), "maintenance", "lee", T0)


def test_each_series_and_alert_trigger_has_one_state() -> None:
    playbooks = [
        Playbook("outage", "Outage", triggers=(METRIC, ALERT)),
        Playbook("quiet", "Quiet", triggers=(MetricTrigger("up == 0"),)),
    ]
    states = [
        state("web-chat", TriggerPhase.FIRING),
        state("hotline", TriggerPhase.PENDING),
        state("app", TriggerPhase.INACTIVE),
        state("email", TriggerPhase.CLEARING),
        state("sms", TriggerPhase.UNKNOWN),
    ]
    rows = trigger_rows(playbooks, states, [silence('channel="hotline"')], set())
    shown = [(row.playbook, row.kind, row.series, row.state) for row in rows]
    assert shown == [
        ("outage", "metric", '{channel="web-chat"}', "firing"),
        ("outage", "metric", '{channel="hotline"}', "silenced"),
        ("outage", "metric", '{channel="app"}', "ok"),
        ("outage", "metric", '{channel="email"}', "firing"),
        ("outage", "metric", '{channel="sms"}', "unknown"),
        ("outage", "alert", "", "ok"),
        ("quiet", "metric", "", "unknown"),  # never evaluated
    ]
    assert rows[0].value == 7.5 and rows[0].since == T0
    alerting = trigger_rows(playbooks[:1], [], [], {"outage"})
    assert [row.state for row in alerting] == ["unknown", "firing"]
    silenced = trigger_rows(playbooks[:1], [], [silence('alertname="ChannelDown"')], {"outage"})
    assert [row.state for row in silenced] == ["unknown", "silenced"]


async def test_the_overview_shows_the_rota_the_triggers_and_the_silences(make_console) -> None:
    client = await make_console("viewer")
    page = await (await client.get("/console/overview")).text()
    assert 'id="oncall"' in page and "Asia/Shanghai" in page
    assert 'data-playbook="channel-down"' in page and "alertname=&#34;ChannelDown&#34;" in page
    assert 'data-silence="1"' in page and "alertname=&#34;Noise&#34;" in page
    runtime = client.app[RUNTIME]
    await runtime.store.expire_silence(1, datetime.now(UTC))
    page = await (await client.get("/console/overview")).text()
    assert 'data-silence="1"' not in page and "No silence is active." in page


async def test_admins_read_the_audit_log_with_filters(make_console) -> None:
    viewer = await make_console("viewer")
    assert (await viewer.get("/console/audit")).status == 403
    admin = await make_console("admin")
    page = await (await admin.get("/console/audit")).text()
    assert "console.sign_in" in page and "viewer-token" in page
    assert "Audit log" in page  # in the admin's menu
    page = await (await admin.get("/console/audit?outcome=denied")).text()
    assert "/console/audit" in page and "console.sign_in" not in page  # the viewer's try
    page = await (await admin.get("/console/audit?action=console.*&actor=admin-token")).text()
    assert page.count('data-audit="') == 1
    response = await admin.get("/console/audit?since=yesterday&outcome=maybe")
    text = await response.text()
    assert response.status == 400 and "outcome must be one of" in text and "since" in text
    menu = await (await viewer.get("/console/")).text()
    assert "/console/audit" not in menu
