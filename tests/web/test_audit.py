"""The audit log through the HTTP API: every change with who, when, what and from where;
denied attempts; nothing secret; and admins reading it with filters and pages."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from web.world import NAMES, TOKENS, populate, world_config

from surge.audit.actor import client_address
from surge.config import WebhookTarget
from surge.store.records import AuditEntry, AuditOutcome, AuditQuery
from surge.web.app import create_app
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME

Client = TestClient[web.Request, web.Application]
ALERT = {
    "version": "4",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "ChannelDown", "channel": "web"},
            "startsAt": "2026-11-25T08:00:00Z",
            "fingerprint": "f1",
        }
    ],
}


def auth(role: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}", **extra}


async def entries(client: Client, **filters: str) -> list[AuditEntry]:
    found = await client.app[RUNTIME].audit.entries(AuditQuery(**filters))  # type: ignore[arg-type]
    return list(reversed(found))  # oldest first, as they happened


async def test_every_change_is_audited_with_who_what_and_where(world: Client) -> None:
    before = len(await entries(world))
    response = await world.post(
        "/api/v1/playbooks/example/trigger",
        headers=auth("responder"),
        json={"params": {"reason": "disk 出错 🚀"}},
    )
    assert response.status == 201
    incident = (await response.json())["id"]
    ack = await world.post(
        f"/api/v1/incidents/{incident}/ack", headers=auth("responder"), json={"note": "on it"}
    )
    assert ack.status == 200
    silence = await world.post(
        "/api/v1/silences",
        headers=auth("admin"),
        json={"matchers": ["alertname=Noise"], "for": "1h", "comment": "quiet"},
    )
    silence_id = (await silence.json())["id"]
    assert (await world.post(f"/api/v1/silences/{silence_id}/expire", headers=auth("admin"))).ok
    for _ in range(2):  # the second delivery is a duplicate: nothing changes, nothing audited
        assert (
            await world.post(
                "/api/v1/alerts/alertmanager", json=ALERT, headers=auth("alert-source")
            )
        ).ok
    for path in ("/api/v1/incidents", "/api/v1/audit"):  # reading changes nothing
        assert (await world.get(path, headers=auth("admin"))).ok

    found = (await entries(world))[before:]
    assert [(entry.actor, entry.role, entry.action, entry.target) for entry in found] == [
        (NAMES["responder"], "responder", "incident.trigger", f"incident:{incident}"),
        (NAMES["responder"], "responder", "incident.ack", f"incident:{incident}"),
        (NAMES["admin"], "admin", "silence.add", f"silence:{silence_id}"),
        (NAMES["admin"], "admin", "silence.expire", f"silence:{silence_id}"),
        (NAMES["alert-source"], "alert-source", "alerts.receive", f"incident:{incident + 1}"),
    ]
    assert all(entry.outcome is AuditOutcome.OK for entry in found)
    assert all((entry.address, entry.origin) == ("127.0.0.1", "127.0.0.1") for entry in found)
    assert found[0].detail == {
        "playbook": "example",
        "params": {"reason": "disk 出错 🚀", "ack_timeout": "15m"},
    }
    assert found[1].detail == {"note": "on it"}
    assert found[2].detail["matchers"] == ['alertname="Noise"']
    assert found[4].detail["alerts"][0]["outcome"] == "opened"
    now = datetime.now(UTC)
    assert all(now - timedelta(seconds=30) < entry.at <= now for entry in found)


async def test_a_denied_attempt_is_audited_and_an_unknown_token_is_not(world: Client) -> None:
    before = len(await entries(world))
    denied = await world.post("/api/v1/incidents/1/resolve", headers=auth("viewer"))
    assert denied.status == 403
    narrowed = await world.post(
        "/api/v1/playbooks/example/trigger", headers=auth("comms"), json={"params": {}}
    )
    assert narrowed.status == 403
    for headers in ({}, {"Authorization": "Bearer nope"}):
        assert (await world.post("/api/v1/incidents/1/resolve", headers=headers)).status == 401
    found = (await entries(world))[before:]
    assert [(entry.actor, entry.action, entry.target, entry.outcome) for entry in found] == [
        (NAMES["viewer"], "incidents.changeStatus", "/api/v1/incidents/1/resolve", "denied"),
        (NAMES["comms"], "playbooks.trigger", "/api/v1/playbooks/example/trigger", "denied"),
    ]
    assert "needs: responder, admin" in found[0].detail["reason"]
    incident = await world.get("/api/v1/incidents/1", headers=auth("viewer"))
    assert (await incident.json())["status"] == "triggered"  # and nothing changed


@pytest.mark.parametrize(
    ("trusted", "forwarded", "address", "origin"),
    [
        ("[127.0.0.1]", "203.0.113.7", "203.0.113.7", "203.0.113.7 via 127.0.0.1"),
        ("[127.0.0.0/8]", "198.51.100.9, 203.0.113.7", "203.0.113.7", "203.0.113.7 via 127.0.0.1"),
        ("[]", "203.0.113.7", "127.0.0.1", "127.0.0.1"),  # not a trusted proxy: ignored
        ("[127.0.0.1]", "not-an-address", "127.0.0.1", "127.0.0.1"),
    ],
)
async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    tmp_path: Path, aiohttp_client: Any, trusted: str, forwarded: str, address: str, origin: str
) -> None:
    config = world_config(tmp_path)
    text = config.source.read_text() if config.source else ""
    assert config.source is not None
    config.source.write_text(
        text.replace("trusted_proxies: [127.0.0.1]", f"trusted_proxies: {trusted}")
    )
    from surge.config import load_config

    client: Client = await aiohttp_client(
        create_app(load_config(str(config.source)), load_entry_points=False)
    )
    response = await client.post(
        "/api/v1/silences",
        headers=auth("responder", **{"X-Forwarded-For": forwarded}),
        json={"matchers": ["alertname=X"], "for": "1h", "comment": "c"},
    )
    assert response.status == 201
    [entry] = await entries(client)
    assert (entry.address, entry.origin) == (address, origin)


def test_client_address_walks_the_chain_of_trusted_proxies() -> None:
    import ipaddress

    trusted = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]
    assert client_address("10.0.0.2", ["203.0.113.7, 10.0.0.9"], trusted) == (
        "203.0.113.7",
        ["10.0.0.9", "10.0.0.2"],
    )
    # what the client wrote itself (left of the first untrusted hop) is never believed
    assert client_address("10.0.0.2", ["6.6.6.6", "203.0.113.7"], trusted)[0] == "203.0.113.7"
    assert client_address("::1", ["[2001:db8::1]"], trusted) == ("2001:db8::1", ["::1"])
    assert client_address("192.0.2.1", ["203.0.113.7"], trusted) == ("192.0.2.1", [])
    assert client_address("10.0.0.2", [], trusted) == ("10.0.0.2", [])
    assert client_address(None, ["203.0.113.7"], trusted) == ("unknown", [])


async def test_secrets_never_enter_the_audit_log(tmp_path: Path, aiohttp_client: Any) -> None:
    secret = "hook-secret-5f2b9c"
    config = dataclasses.replace(
        world_config(tmp_path),
        webhooks={"hook": WebhookTarget("http://127.0.0.1:9/", secret=secret)},
    )
    client: Client = await aiohttp_client(create_app(config, load_entry_points=False))
    await populate(client.app[RUNTIME])
    response = await client.post(
        "/api/v1/incidents",
        headers=auth("admin", **{"X-Forwarded-For": TOKENS["viewer"]}),
        json={"playbook": "example", "params": {"reason": f"the secret is {secret}"}},
    )
    assert response.status == 201
    await client.post("/api/v1/incidents/1/ack", headers=auth("admin"), json={"note": secret})
    await client.post("/api/v1/audit", headers=auth("viewer"))  # a 405
    await client.get("/api/v1/audit", headers=auth("viewer"))  # denied, audited
    found = await entries(client)
    assert any(entry.outcome is AuditOutcome.DENIED for entry in found)
    assert [entry.detail["note"] for entry in found if entry.action == "incident.ack"] == ["***"]
    with sqlite3.connect(tmp_path / "surge.db") as db:
        dump = "\n".join(db.iterdump())
    assert "audit_log" in dump and "incident.ack" in dump
    for value in (secret, *TOKENS.values(), *(hash_token(token) for token in TOKENS.values())):
        rows = [line for line in dump.splitlines() if "audit_log" in line and value in line]
        assert not rows, f"{value!r} is in the audit log: {rows}"


async def test_admins_read_the_log_with_filters_and_pages(world: Client) -> None:
    for number in range(5):
        response = await world.post(
            "/api/v1/silences",
            headers=auth("responder" if number % 2 else "admin"),
            json={"matchers": [f"alertname=A{number}"], "for": "1h", "comment": "c"},
        )
        assert response.status == 201
    await world.post("/api/v1/incidents/1/ack", headers=auth("viewer"))

    async def read(query: str, role: str = "admin", status: int = 200) -> Any:
        response = await world.get(f"/api/v1/audit?{query}", headers=auth(role))
        assert response.status == status, await response.text()
        return await response.json()

    everything = (await read("limit=1000"))["entries"]
    ids = [entry["id"] for entry in everything]
    assert ids == sorted(ids, reverse=True) and len(ids) == 6
    pages, before = [], None
    while True:
        page = await read("limit=2" + (f"&before={before}" if before else ""))
        pages.append([entry["id"] for entry in page["entries"]])
        before = page["next_before"]
        if before is None:
            break
    assert [entry for page in pages for entry in page] == ids
    assert all(len(page) <= 2 for page in pages)
    assert len((await read(f"actor={NAMES['responder']}"))["entries"]) == 2
    assert len((await read("action=silence.*"))["entries"]) == 5
    assert len((await read("action=silence"))["entries"]) == 0  # exact unless it ends in *
    assert len((await read("action=silence.add&target=silence:3"))["entries"]) == 1
    denied = (await read("outcome=denied"))["entries"]
    assert [entry["actor"] for entry in denied] == [NAMES["viewer"]]
    assert len((await read("address=127.0.0.1"))["entries"]) == 6
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (await read(f"since={soon.replace('+', '%2B')}"))["entries"] == []
    assert len((await read(f"until={soon.replace('+', '%2B')}"))["entries"]) == 6
    problems = await read("limit=0&outcome=maybe&since=yesterday&colour=red", status=400)
    assert problems["error"] == "invalid filters"
    assert len(problems["problems"]) == 4
    for role in ("viewer", "responder", "comms", "alert-source"):
        assert "admin" in (await read("", role=role, status=403))["error"]


async def test_a_public_route_audits_the_caller_it_verified_itself(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    from surge.audit.changes import Change
    from surge.plugin import hookimpl
    from surge.web.audit import actor, audit
    from surge.web.auth import public

    class Chat:
        name = "chat"

        @public("verified by the chat tool's signature")
        async def button(self, request: web.Request) -> web.Response:
            who = actor(request, "chat:U123", "chat")
            await audit(request, Change("incident.ack", "incident:1"), who=who)
            return web.json_response({})

        @hookimpl
        def surge_web_routes(self, app: web.Application) -> None:
            app.router.add_post("/plugins/chat/button", self.button)

    app = create_app(world_config(tmp_path), extra_plugins=[Chat()], load_entry_points=False)
    client: Client = await aiohttp_client(app)
    assert (await client.post("/plugins/chat/button")).status == 200
    [entry] = await entries(client)
    assert (entry.actor, entry.role, entry.address, entry.action) == (
        "chat:U123",
        "chat",
        "127.0.0.1",
        "incident.ack",
    )
