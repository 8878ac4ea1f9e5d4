"""Hostile input against every route that takes a body or a token: oversized and malformed
bodies, strange unicode, missing, wrong-role and forged tokens. Each gets the right 4xx
as JSON, never a 500, never a secret in the answer, and no record changes."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from web.world import TOKENS, populate, world_config

from surge.config import WebhookTarget
from surge.store.records import AuditOutcome, AuditQuery
from surge.web.app import create_app
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME
from surge.web.openapi.assemble import document

Client = TestClient[web.Request, web.Application]
SECRET = "hook-secret-1c9e4d"
MALFORMED = [
    b"{not json",
    b'{"a": 1',
    b"\xff\xfe{}",  # not UTF-8
    b"\xc0\xaf",  # an overlong UTF-8 encoding
    b"[1, 2]",
    b'"text"',
    b"null",
    b'{"a": NaN}',
    b'{"a": "\\ud800"}',  # a lone surrogate
    b"[" * 50_000 + b"]" * 50_000,
    b'{"a": 1' + b"0" * 5000 + b"}",
]
UNICODE = [
    "\u202eevil\u202c",  # right-to-left override
    "a\u200db\u200bc\ufeff",  # zero-width joiner, space, no-break space
    "nul\x00byte",
    "\U0001f4a5" * 200,
    "\ufffd\uffff",
    "{{ config }}{% raw %}",  # template syntax is only ever a value
]


@pytest.fixture
async def hostile(tmp_path: Path, aiohttp_client: Any) -> Client:
    config = dataclasses.replace(
        world_config(tmp_path),
        webhooks={"hook": WebhookTarget("http://127.0.0.1:9/", secret=SECRET)},
    )
    # no engine: the example's steps would add to its timeline while the test compares
    app = create_app(config, load_entry_points=False, run_engine=False)
    client: Client = await aiohttp_client(app)
    await populate(client.app[RUNTIME])
    return client


async def records(client: Client) -> dict[str, Any]:
    """Everything a request could change, denied attempts in the audit log aside."""
    store = client.app[RUNTIME].store
    incidents = await store.list_incidents(limit=1000)
    return {
        "incidents": incidents,
        "timelines": [await store.timeline(item.id) for item in incidents],
        "silences": await store.list_silences(),
        "tokens": await store.list_tokens(),
        "approvals": await store.approvals(),
        "subscribers": await store.subscribers(limit=1000),
        "audit": [
            entry
            for entry in await store.audit_entries(AuditQuery(limit=1000))
            if entry.outcome is not AuditOutcome.DENIED
        ],
    }


def body_routes(client: Client) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path with the examples filled in, operation) of every route that takes a
    body."""
    found = []
    for path, item in document(client.app)["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            assert method in ("post", "put"), method
            for param in operation["parameters"]:
                if param["in"] == "path":
                    path = path.replace("{" + param["name"] + "}", str(param["example"]))
            found.append((method.upper(), path, operation))
    assert len(found) >= 6
    return found


async def refused(response: ClientResponse, status: int, where: str) -> dict[str, Any]:
    text = await response.text()
    assert response.status == status, f"{where}: {response.status} {text[:300]}"
    assert response.content_type == "application/json", where
    assert "Traceback" not in text
    for secret in (SECRET, *TOKENS.values(), *(hash_token(token) for token in TOKENS.values())):
        assert secret not in text, f"{where} leaks {secret!r}"
    body: dict[str, Any] = json.loads(text)
    assert isinstance(body["error"], str) and body["error"], where
    return body


def admin_or_holder(operation: dict[str, Any]) -> str:
    """A role that gets past the role check, so the body itself is what is judged."""
    roles = operation.get("x-surge-roles", ["admin"])
    return "alert-source" if roles == ["alert-source", "admin"] else "admin"


async def test_oversized_bodies_are_413(hostile: Client) -> None:
    before = await records(hostile)
    big = b'{"x": "' + b"y" * (2 * 1024 * 1024) + b'"}'
    for method, path, operation in body_routes(hostile):
        headers = {"Authorization": f"Bearer {TOKENS[admin_or_holder(operation)]}"}
        response = await hostile.request(method, path, data=io.BytesIO(big), headers=headers)
        assert "too large" in (await refused(response, 413, path))["error"]
    assert await records(hostile) == before


async def test_malformed_bodies_are_400(hostile: Client) -> None:
    before = await records(hostile)
    for method, path, operation in body_routes(hostile):
        headers = {"Authorization": f"Bearer {TOKENS[admin_or_holder(operation)]}"}
        for body in MALFORMED:
            response = await hostile.request(method, path, data=body, headers=headers)
            await refused(response, 400, f"{path} with {body[:20]!r}")
    assert await records(hostile) == before


async def test_strange_unicode_is_only_ever_a_value(hostile: Client) -> None:
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    for text in UNICODE:
        quoted = json.dumps(text)
        for path in (f"/api/v1/playbooks/{text}/trigger", f"/api/v1/incidents/{text}/ack"):
            await refused(await hostile.post(path, headers=headers), 404, repr(path))
        response = await hostile.get(
            "/api/v1/incidents", params={"playbook": text}, headers=headers
        )
        assert response.status == 200 and (await response.json())["incidents"] == []
        response = await hostile.get("/api/v1/incidents", params={"status": text}, headers=headers)
        await refused(response, 400, repr(text))
        response = await hostile.post(
            "/api/v1/incidents/1/mitigate", data=f'{{"note": {quoted}}}', headers=headers
        )
        assert response.status in (200, 409), await response.text()
        check = await hostile.post(
            "/api/v1/scripts/check",
            json={"script": "outage-initial", "text": text},
            headers=headers,
        )
        assert check.status == 200, await check.text()
    timeline = await (await hostile.get("/api/v1/incidents/1", headers=headers)).json()
    notes = [
        entry["data"].get("note") for entry in timeline["timeline"] if entry["kind"] == "status"
    ]
    assert notes == [UNICODE[0]]  # kept exactly, the later ones found it mitigated already


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer surge_" + "A" * 43,  # looks like a token, is none
        "Bearer " + TOKENS["admin"].upper(),
        "Bearer " + TOKENS["admin"][:-1],
        "Bearer " + hash_token(TOKENS["admin"]),  # the hash the config keeps is no token
        "Bearer " + TOKENS["admin"] + " " + TOKENS["viewer"],
        "Bearer " + "x" * 4000,
    ],
)
async def test_missing_and_forged_tokens_are_401(hostile: Client, header: str | None) -> None:
    before = await records(hostile)
    audit = await hostile.app[RUNTIME].audit.entries(AuditQuery(limit=1000))
    headers = {} if header is None else {"Authorization": header}
    for method, path, operation in body_routes(hostile):
        if "x-surge-public" in operation:  # needs no token: a token changes nothing
            continue
        response = await hostile.request(
            method, path, json={"params": {"reason": "x"}}, headers=headers
        )
        await refused(response, 401, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await records(hostile) == before
    assert await hostile.app[RUNTIME].audit.entries(AuditQuery(limit=1000)) == audit


async def test_a_header_too_large_for_the_server_is_refused(hostile: Client) -> None:
    response = await hostile.get(
        "/api/v1/incidents", headers={"Authorization": "Bearer " + "x" * 20_000}
    )
    assert response.status == 400  # refused by aiohttp's parser, before any surge code runs


async def test_wrong_roles_are_403_and_change_nothing(hostile: Client) -> None:
    before = await records(hostile)
    spec = document(hostile.app)
    tried = 0
    for method, path, operation in body_routes(hostile):
        example = operation["requestBody"]["content"]["application/json"].get("example")
        if "x-surge-public" in operation:
            continue
        for role, token in TOKENS.items():
            if role in operation["x-surge-roles"]:
                continue
            response = await hostile.request(
                method, path, json=example, headers={"Authorization": f"Bearer {token}"}
            )
            await refused(response, 403, f"{path} as {role}")
            tried += 1
    assert tried >= 12 and spec["paths"]
    assert await records(hostile) == before
