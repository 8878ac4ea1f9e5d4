"""script.activate in a playbook, GET /api/v1/incidents/{id}/script, and checking a reply
against the incident's active script."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from surge.config import ScriptSettings
from surge.scripts.approval import approve
from surge.web.keys import RUNTIME

SCRIPTS = Path(__file__).resolve().parents[2] / "config" / "scripts"
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
OUTAGE = """
    id: outage
    title: Outage
    triggers: [{manual: {roles: [responder]}}]
    steps:
      - id: script
        action: script.activate
        with:
          script: outage-initial
          vars: {service: 在线客服, impact: 无法发送消息, eta: "15:30", workaround: 拨打热线}
"""


@pytest.fixture
async def client(make_client, api_config, write_playbook):
    write_playbook("outage", OUTAGE)
    config = dataclasses.replace(api_config, scripts=ScriptSettings(folder=SCRIPTS))
    return await make_client(config=config)


async def run_outage(client, auth, wait_settled):
    response = await client.post(
        "/api/v1/playbooks/outage/trigger", json={}, headers=auth("responder")
    )
    incident = (await response.json())["id"]
    return incident, await wait_settled(client.app[RUNTIME], incident)


async def test_an_approved_script_becomes_the_incident_s_and_renders_per_locale(
    client, auth, wait_settled
):
    runtime = client.app[RUNTIME]
    await approve(runtime.store, runtime.scripts.get("outage-initial"), "lee", NOW)
    incident, runs = await run_outage(client, auth, wait_settled)
    assert runs[0].status.value == "succeeded"
    response = await client.get(
        f"/api/v1/incidents/{incident}/script?locale=zh-TW", headers=auth("viewer")
    )
    body = await response.json()
    assert response.status == 200, body
    assert body["script"] == "outage-initial"
    assert body["locale"] == "zh-TW"
    assert "預計15:30恢復" in body["text"]
    check = await client.post(
        "/api/v1/scripts/check",
        json={"incident": incident, "text": "我们保證15:30前彻底修好", "locale": "zh-CN"},
        headers=auth("responder"),
    )
    verdict = await check.json()
    assert check.status == 200, verdict
    assert verdict["pass"] is False
    assert [v["found"] for v in verdict["violations"] if v["rule"] == "forbidden"] == ["保證"]


async def test_an_unapproved_script_is_refused_by_the_step(client, auth, wait_settled):
    incident, runs = await run_outage(client, auth, wait_settled)
    assert runs[0].status.value == "failed"
    assert "is not approved" in (runs[0].error or "")
    response = await client.get(f"/api/v1/incidents/{incident}/script", headers=auth("viewer"))
    assert response.status == 404


async def test_check_needs_a_script_or_an_incident(client, auth):
    response = await client.post(
        "/api/v1/scripts/check", json={"incident": "x", "text": "hi"}, headers=auth("viewer")
    )
    body = await response.json()
    assert response.status == 400
    assert "incident must be an incident id (a number)" in body["problems"]
