"""Responding from Slack: every request verified with the signing secret (real HMAC), the
summary's buttons and the /surge command, with surge's roles."""

from __future__ import annotations

import time

import pytest
import surge_slack.plugin
from support.slack import (
    RESPONDER,
    STRANGER,
    VIEWER,
    action_body,
    command_body,
    signed,
)

from surge.store.records import AuditQuery, IncidentStatus, RunStatus
from surge.web.app import create_app
from surge.web.keys import RUNTIME
from surge.web.openapi.assemble import document, problems

WAITING = """
    id: system-outage
    title: Service channel outage
    params: {channel: {type: enum, choices: [web-chat, hotline, app], required: true}}
    triggers:
      - manual: {roles: [responder]}
    steps:
      - id: wait-ack
        action: wait
        with: {until: acknowledged, timeout: 1h}
        on_failure: {fallback: escalate}
      - id: acknowledged
        action: log
        with: {message: "acknowledged"}
      - id: escalate
        action: log
        when: incident.status == "triggered"
        with: {message: "escalating to the leads"}
"""
COMMANDS, ACTIONS = "/api/v1/slack/commands", "/api/v1/slack/actions"


@pytest.fixture
async def app_client(slack_config, aiohttp_client, write_playbook, probe):  # store first
    write_playbook("system-outage", WAITING)
    app = create_app(
        slack_config(), extra_plugins=[probe, surge_slack.plugin], load_entry_points=False
    )
    assert not app[RUNTIME].problems, app[RUNTIME].problems
    return await aiohttp_client(app)


async def post(client, path, body, **signing):
    return await client.post(path, data=body, headers=signed(body, **signing))


async def test_forged_stale_unsigned_and_altered_requests_get_401(app_client):
    body = command_body("status")
    good = signed(body)
    cases = {
        "forged": signed(body, secret="not-the-signing-secret"),
        "stale": signed(body, at=time.time() - 301),  # outside the 5-minute window
        "future": signed(body, at=time.time() + 310),  # int() and a slow run eat into 301
        "unsigned": {"Content-Type": "application/x-www-form-urlencoded"},
        "no timestamp": {k: v for k, v in good.items() if k != "X-Slack-Request-Timestamp"},
        "bad timestamp": {**good, "X-Slack-Request-Timestamp": "soon"},
    }
    for case, headers in cases.items():
        response = await app_client.post(COMMANDS, data=body, headers=headers)
        assert response.status == 401, case
        assert "not signed by Slack" in (await response.json())["error"]
    altered = body.replace(b"status", b"trigger")
    assert (await app_client.post(COMMANDS, data=altered, headers=good)).status == 401
    # an old one inside the window still counts (290s: the margin keeps a slow run inside)
    replayed = signed(body, at=time.time() - 290)
    assert (await app_client.post(COMMANDS, data=body, headers=replayed)).status == 200
    for path in (COMMANDS, ACTIONS):
        assert (await app_client.post(path, data=b"x=1", headers={})).status == 401


async def test_another_workspace_is_refused(app_client):
    response = await post(app_client, COMMANDS, command_body("status", team="T0OTHER1"))
    assert response.status == 403


async def test_trigger_status_and_help(app_client):
    runtime = app_client.app[RUNTIME]
    answer = await (
        await post(app_client, COMMANDS, command_body("trigger system-outage channel=hotline"))
    ).json()
    assert answer["response_type"] == "ephemeral"
    [incident] = await runtime.store.list_incidents()
    assert answer["text"] == f"Opened incident #{incident.id}: Service channel outage"
    assert incident.params == {"channel": "hotline"}
    assert incident.triggered_by == "slack:lee" and incident.trigger == "slack"

    status = await (await post(app_client, COMMANDS, command_body("status"))).json()
    assert status["text"].startswith(f"#{incident.id} Service channel outage · triggered · ")
    zh = await (await post(app_client, COMMANDS, command_body("status", user=VIEWER))).json()
    assert "· 已触发 ·" in zh["text"]  # vic reads Simplified Chinese
    helped = await (await post(app_client, COMMANDS, command_body("help"))).json()
    assert "/surge trigger PLAYBOOK key=value" in helped["text"]
    wrong = await (
        await post(app_client, COMMANDS, command_body("trigger system-outage channel=fax"))
    ).json()
    assert wrong["text"].startswith("Wrong params: ")
    assert len(await runtime.store.list_incidents()) == 1


async def test_people_without_the_role_or_unknown_to_surge_are_refused(app_client):
    runtime = app_client.app[RUNTIME]
    viewer = await (
        await post(
            app_client, COMMANDS, command_body("trigger system-outage channel=app", user=VIEWER)
        )
    ).json()
    assert viewer["response_type"] == "ephemeral"
    assert viewer["text"] == "您的角色 viewer 不能触发 system-outage，需要：responder。"
    stranger = await (
        await post(app_client, COMMANDS, command_body("status", user=STRANGER))
    ).json()
    assert f"does not know your Slack user {STRANGER}" in stranger["text"]
    assert await runtime.store.list_incidents() == []


async def test_acknowledge_stops_the_wait_and_refusals_are_ephemeral(
    app_client, fake_slack, eventually
):
    runtime = app_client.app[RUNTIME]
    incident = await runtime.engine.trigger("system-outage", {"channel": "app"}, actor="test")

    async def waiting():
        runs = await runtime.store.runs(incident.id)
        return runs and runs[0].status is RunStatus.WAITING

    await eventually(waiting, what="the wait")
    reply_to = str(fake_slack.url).replace("/api/", "/response/")
    refused = action_body("surge.ack", str(incident.id), VIEWER, reply_to + "viewer")
    assert (await post(app_client, ACTIONS, refused)).status == 200
    [(name, reply)] = fake_slack.responses
    assert name == "viewer" and reply["response_type"] == "ephemeral"
    assert reply["replace_original"] is False and "viewer" in reply["text"]
    assert (await runtime.store.get_incident(incident.id)).status is IncidentStatus.TRIGGERED

    clicked = action_body("surge.ack", str(incident.id), RESPONDER, reply_to + "lee")
    assert (await post(app_client, ACTIONS, clicked)).status == 200
    assert fake_slack.responses[-1] == (
        "lee",
        {
            "text": f"Incident #{incident.id} acknowledged.",
            "response_type": "ephemeral",
            "replace_original": False,
        },
    )
    acked = await runtime.store.get_incident(incident.id)
    assert acked.status is IncidentStatus.ACKNOWLEDGED

    async def stopped():
        runs = await runtime.store.runs(incident.id)
        return [(run.step_id, run.status.value) for run in runs] == [
            ("wait-ack", "succeeded"),
            ("acknowledged", "succeeded"),
            ("escalate", "skipped"),
        ]

    await eventually(stopped, what="the wait to end with the acknowledgement")
    runs = await runtime.store.runs(incident.id)
    assert runs[0].result["reached"] == "acknowledged"
    again = action_body("surge.ack", str(incident.id), RESPONDER, reply_to + "lee")
    await post(app_client, ACTIONS, again)
    assert "cannot be set to acknowledged" in fake_slack.responses[-1][1]["text"]


async def test_escalate_runs_the_playbooks_escalation_now(app_client, fake_slack, eventually):
    runtime = app_client.app[RUNTIME]
    incident = await runtime.engine.trigger("system-outage", {"channel": "app"}, actor="test")

    async def waiting():
        runs = await runtime.store.runs(incident.id)
        return runs and runs[0].status is RunStatus.WAITING

    await eventually(waiting, what="the wait")
    reply_to = str(fake_slack.url).replace("/api/", "/response/lee")
    await post(
        app_client, ACTIONS, action_body("surge.escalate", str(incident.id), RESPONDER, reply_to)
    )

    async def escalated():
        runs = await runtime.store.runs(incident.id)
        return [(run.step_id, run.status.value) for run in runs] == [
            ("wait-ack", "failed"),
            ("escalate", "succeeded"),
        ]

    await eventually(escalated, what="the escalation")
    runs = await runtime.store.runs(incident.id)
    assert runs[0].error == "escalated by slack:lee before the incident was acknowledged"
    assert "escalated" in fake_slack.responses[-1][1]["text"]
    entries = [entry.message for entry in await runtime.store.timeline(incident.id)]
    assert "escalated by slack:lee" in entries
    await post(
        app_client, ACTIONS, action_body("surge.escalate", str(incident.id), RESPONDER, reply_to)
    )  # nothing waits any more
    assert "nothing to escalate" in fake_slack.responses[-1][1]["text"]


async def test_unknown_buttons_and_other_interactions_are_ignored(app_client, fake_slack):
    body = action_body("surge.approve_notice", "3", RESPONDER, fake_slack.url + "x")
    assert (await post(app_client, ACTIONS, body)).status == 200
    assert fake_slack.responses == []
    bad = b"payload=%7Bnot-json"
    assert (await post(app_client, ACTIONS, bad)).status == 400


async def test_resolve_from_slack_runs_on_resolve(
    app_client, fake_slack, eventually, write_playbook
):
    runtime = app_client.app[RUNTIME]
    incident = await runtime.engine.trigger("system-outage", {"channel": "app"}, actor="test")
    reply_to = str(fake_slack.url).replace("/api/", "/response/lee")
    body = action_body("surge.resolve", str(incident.id), RESPONDER, reply_to)
    assert (await post(app_client, ACTIONS, body)).status == 200
    resolved = await runtime.store.get_incident(incident.id)
    assert resolved.status is IncidentStatus.RESOLVED
    assert resolved.resolved_at is not None
    assert fake_slack.responses[-1][1]["text"] == f"Incident #{incident.id} resolved."
    entries = await runtime.store.timeline(incident.id)
    assert any(e.actor == "slack:lee" and e.kind == "status" for e in entries)
    for value in ("nine", "99999999"):
        await post(app_client, ACTIONS, action_body("surge.resolve", value, RESPONDER, reply_to))
        assert fake_slack.responses[-1][1]["text"] == f"There is no incident #{value}."


async def test_the_routes_are_public_described_and_what_people_do_is_audited(app_client):
    app = app_client.app
    assert problems(app) == []
    spec = document(app)
    assert spec["paths"][COMMANDS]["post"]["operationId"] == "slack.command"
    assert spec["paths"][ACTIONS]["post"]["operationId"] == "slack.actions"
    runtime = app[RUNTIME]
    await post(app_client, COMMANDS, command_body("trigger system-outage channel=app"))
    await post(app_client, COMMANDS, command_body("trigger system-outage", user=VIEWER))
    await post(app_client, COMMANDS, command_body("status"))  # changes nothing
    [incident] = await runtime.store.list_incidents()
    body = action_body("surge.ack", str(incident.id), RESPONDER, "http://127.0.0.1:9/nowhere")
    await post(app_client, ACTIONS, body)
    entries = await runtime.store.audit_entries(AuditQuery())
    seen = [(e.action, e.target, e.actor, e.role, e.outcome.value) for e in reversed(entries)]
    assert seen == [
        ("incident.trigger", f"incident:{incident.id}", "slack:lee", "responder", "ok"),
        ("incident.trigger", "playbook:system-outage", "slack:vic", "viewer", "denied"),
        ("incident.ack", f"incident:{incident.id}", "slack:lee", "responder", "ok"),
    ]
