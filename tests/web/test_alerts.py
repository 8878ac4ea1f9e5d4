"""POST /api/v1/alerts/alertmanager: Alertmanager's version-4 webhook."""

from __future__ import annotations

import io
from typing import Any

import pytest

from surge.runtime import Runtime
from surge.store.records import IncidentStatus, Silence
from surge.web.keys import RUNTIME

ROUTE = "/api/v1/alerts/alertmanager"
OUTAGE = """
    id: outage
    title: Channel outage
    params:
      channel: {type: enum, choices: [web, app, hotline], required: true}
      summary: {type: string, default: ""}
    triggers:
      - alert:
          matchers: ['alertname="ChannelDown"', 'severity=~"critical|major"']
          params: {channel: "{{ labels.channel }}", summary: "{{ annotations.summary }}"}
          on_clear: resolve
    group_by: [channel]
    cooldown: 10m
    steps:
      - {id: note, action: log, with: {message: "{{ params.channel }} down"}}
"""


def alert(
    status: str = "firing",
    fingerprint: str = "f1",
    starts: str = "2026-11-25T08:00:00Z",
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "ChannelDown", "severity": "critical", "channel": "web", **labels},
        "annotations": {"summary": "web chat is down {{ 7*7 }}"},
        "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": fingerprint,
    }


def payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ChannelDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "surge",
        "groupLabels": {"alertname": "ChannelDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": list(alerts),
    }


@pytest.fixture
async def alerts(make_client, write_playbook, auth):
    write_playbook("outage", OUTAGE)
    client = await make_client(run_engine=False)

    async def post(body: Any, role: str = "alert-source", status: int = 200) -> Any:
        response = await client.post(ROUTE, json=body, headers=auth(role))
        data = await response.json()
        assert response.status == status, data
        return data

    post.runtime = client.app[RUNTIME]  # type: ignore[attr-defined]
    post.client = client  # type: ignore[attr-defined]
    return post


def outcomes(body: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    return [(r["playbook"], r["outcome"], r["incident"]) for r in body["results"]]


async def test_a_firing_alert_opens_an_incident_with_params_from_labels(alerts):
    body = await alerts(payload(alert()))
    assert body["alerts"] == 1
    assert outcomes(body) == [("outage", "opened", 1)]
    runtime: Runtime = alerts.runtime
    incident = await runtime.store.get_incident(1)
    assert incident is not None
    assert incident.trigger == "alert"
    assert incident.triggered_by == "alert-source-token"
    # annotation text from outside stays data, never a template
    assert incident.params == {"channel": "web", "summary": "web chat is down {{ 7*7 }}"}
    assert incident.context["labels"]["channel"] == "web"
    assert incident.group_key == '["web"]'


async def test_a_redelivered_notification_is_idempotent(alerts):
    await alerts(payload(alert()))
    again = await alerts(payload(alert()))
    assert outcomes(again) == [("outage", "duplicate", 1)]
    assert len(await alerts.runtime.store.list_incidents()) == 1


async def test_a_hundred_alerts_of_one_group_make_one_incident(alerts):
    many = [alert(fingerprint=f"f{n}", instance=f"i{n}") for n in range(100)]
    body = await alerts(payload(*many))
    kinds = [outcome for _, outcome, _ in outcomes(body)]
    assert kinds.count("opened") == 1
    assert kinds.count("joined") == 99
    assert len(await alerts.runtime.store.list_incidents()) == 1
    timeline = await alerts.runtime.store.timeline(1)
    assert sum(entry.kind == "alert.joined" for entry in timeline) == 99


async def test_other_groups_open_their_own_incidents(alerts):
    body = await alerts(payload(alert(fingerprint="a"), alert(fingerprint="b", channel="app")))
    assert outcomes(body) == [("outage", "opened", 1), ("outage", "opened", 2)]


async def test_resolved_clears_when_the_last_alert_of_the_incident_resolves(alerts):
    await alerts(payload(alert(fingerprint="a", pod="1"), alert(fingerprint="b", pod="2")))
    body = await alerts(payload(alert("resolved", fingerprint="a", pod="1")))
    assert outcomes(body) == [("outage", "cleared", 1)]
    incident = await alerts.runtime.store.get_incident(1)
    assert incident.status is IncidentStatus.TRIGGERED
    notes = [
        e.message for e in await alerts.runtime.store.timeline(1) if e.kind == "signal.cleared"
    ]
    assert notes and "1 signal(s) still firing" in notes[0]
    await alerts(payload(alert("resolved", fingerprint="b", pod="2")))
    incident = await alerts.runtime.store.get_incident(1)
    assert incident.status is IncidentStatus.RESOLVED
    again = await alerts(payload(alert("resolved", fingerprint="b", pod="2")))
    assert outcomes(again) == [("outage", "not-open", None)]


async def test_cooldown_after_resolve_holds_back_a_refire(alerts):
    await alerts(payload(alert()))
    await alerts(payload(alert("resolved")))
    body = await alerts(payload(alert(starts="2026-11-25T08:05:00Z")))
    assert outcomes(body) == [("outage", "cooldown", 1)]
    assert len(await alerts.runtime.store.list_incidents()) == 1


async def test_invalid_params_are_reported_and_open_nothing(alerts):
    body = await alerts(payload(alert(channel="fax")))
    [result] = body["results"]
    assert result["outcome"] == "invalid"
    assert "fax" in result["problems"][0]
    assert await alerts.runtime.store.list_incidents() == []


async def test_unmatched_alerts_start_nothing(alerts):
    body = await alerts(payload(alert(severity="info"), alert(alertname="Other")))
    assert body == {"alerts": 2, "results": []}


async def test_a_silence_suppresses(alerts):
    runtime: Runtime = alerts.runtime
    now = runtime.engine.clock()
    await runtime.store.add_silence(
        Silence(
            id=0,
            matchers=['alertname="ChannelDown"'],
            starts_at=now,
            ends_at=None,
            comment="maintenance",
            created_by="test",
            created_at=now,
        )
    )
    body = await alerts(payload(alert()))
    assert outcomes(body) == [("outage", "silenced", None)]
    assert await runtime.store.list_incidents() == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "the body must be a JSON object"),
        ({"version": "3", "alerts": []}, 'expected "4"'),
        ({"version": "4", "alerts": {}}, '"alerts" must be a list'),
        ({"version": "4", "alerts": [1]}, "alerts[0] must be an object"),
        ({"version": "4", "alerts": [{**alert(), "status": "gone"}]}, "alerts[0].status"),
        ({"version": "4", "alerts": [{**alert(), "labels": {"a": 1}}]}, "alerts[0].labels.a"),
        ({"version": "4", "alerts": [{**alert(), "labels": {}}]}, "at least one label"),
    ],
)
async def test_malformed_payloads_get_400_with_the_reason(alerts, body, reason):
    answer = await alerts(body, status=400)
    assert reason in answer["error"]


async def test_only_alert_sources_and_admins_may_post(alerts, auth):
    await alerts(payload(alert()), role="responder", status=403)
    await alerts(payload(alert(fingerprint="x")), role="admin")
    response = await alerts.client.post(ROUTE, json=payload(alert()))
    assert response.status == 401


async def test_an_oversized_body_is_413(alerts, auth):
    body = io.BytesIO(b'{"version": "4", "alerts": [' + b" " * (2 * 1024 * 1024) + b"]}")
    response = await alerts.client.post(ROUTE, data=body, headers=auth("alert-source"))
    assert response.status == 413


async def test_an_alert_resent_after_its_incident_closed_is_not_a_duplicate(alerts):
    await alerts(payload(alert()))
    await alerts.runtime.engine.change_status(1, IncidentStatus.RESOLVED, "alice")
    again = await alerts(payload(alert()))  # Alertmanager's repeat: same fingerprint and start
    assert outcomes(again) == [("outage", "cooldown", 1)]


async def test_a_person_s_incident_takes_the_alert_for_its_group(alerts):
    runtime: Runtime = alerts.runtime
    manual = await runtime.engine.trigger("outage", {"channel": "web"}, actor="alice")
    body = await alerts(payload(alert()))
    assert outcomes(body) == [("outage", "joined", manual.id)]


async def test_a_problem_back_on_a_mitigated_incident_fires_it_again(alerts):
    runtime: Runtime = alerts.runtime
    await alerts(payload(alert(fingerprint="a")))
    await runtime.engine.change_status(1, IncidentStatus.MITIGATED, "alice")
    await alerts(payload(alert(fingerprint="b", pod="2")))
    incident = await runtime.store.get_incident(1)
    assert incident is not None
    assert incident.status is IncidentStatus.TRIGGERED


async def test_a_clear_never_resolves_while_another_signal_fires(alerts):
    runtime: Runtime = alerts.runtime
    await alerts(payload(alert(fingerprint="a")))
    # the store refuses to close an incident while one of its signals still fires
    changed = await runtime.store.change_status(
        1,
        IncidentStatus.RESOLVED,
        [IncidentStatus.TRIGGERED],
        runtime.engine.clock(),
        [],
        only_if_quiet=True,
    )
    assert changed is None


async def test_a_label_name_with_a_line_break_is_a_400(alerts):
    body = payload({**alert(), "labels": {"alertname": "ChannelDown", "bad\nkey": 1}})
    answer = await alerts(body, status=400)
    assert "must be text" in answer["error"]


async def test_a_maintenance_window_silences_the_component_s_alerts_only(
    make_client, write_playbook, auth
):
    write_playbook("outage", OUTAGE + '    components: ["{{ params.channel }}"]\n')
    client = await make_client(run_engine=False)
    runtime: Runtime = client.app[RUNTIME]
    now = runtime.engine.clock()
    await runtime.store.add_silence(
        Silence(
            id=0,
            matchers=[],
            components=["web"],
            starts_at=now,
            ends_at=None,
            comment="web chat maintenance",
            created_by="test",
            created_at=now,
        )
    )
    response = await client.post(
        ROUTE,
        json=payload(alert(fingerprint="w"), alert(fingerprint="a", channel="app")),
        headers=auth("alert-source"),
    )
    body = await response.json()
    assert outcomes(body) == [("outage", "silenced", None), ("outage", "opened", 1)]


async def test_the_incident_shows_the_labels_and_annotations_that_started_it(alerts, auth):
    await alerts(payload(alert()))
    response = await alerts.client.get("/api/v1/incidents/1", headers=auth("viewer"))
    body = await response.json()
    assert body["labels"] == {"alertname": "ChannelDown", "severity": "critical", "channel": "web"}
    assert body["annotations"] == {"summary": "web chat is down {{ 7*7 }}"}
