"""``/api/v1/silences``: add, list and expire, with roles and every reason for a 400."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

Client = TestClient[web.Request, web.Application]
Auth = Callable[[str], dict[str, str]]
GOOD = {"matchers": ["alertname=Down"], "for": "2h", "comment": "deploying"}


async def add(client: Client, auth: Auth, body: dict[str, Any], role: str = "responder") -> Any:
    response = await client.post("/api/v1/silences", headers=auth(role), json=body)
    assert response.status == 201, await response.text()
    return await response.json()


async def listed(client: Client, auth: Auth, query: str = "", role: str = "viewer") -> list[Any]:
    response = await client.get(f"/api/v1/silences{query}", headers=auth(role))
    assert response.status == 200, await response.text()
    body = await response.json()
    return list(body["silences"])


async def test_add_then_list(client: Client, auth: Auth) -> None:
    silence = await add(client, auth, GOOD)
    assert silence["matchers"] == ['alertname="Down"']
    assert silence["created_by"] == "responder-token"
    assert silence["state"] == "active"
    assert (silence["windows"], silence["timezone"], silence["expired_at"]) == ([], "UTC", None)
    length = datetime.fromisoformat(silence["ends_at"]) - datetime.fromisoformat(
        silence["starts_at"]
    )
    assert length == timedelta(hours=2)
    for role in ("viewer", "responder", "comms", "admin"):
        assert await listed(client, auth, role=role) == [silence]


async def test_a_recurring_silence(client: Client, auth: Auth) -> None:
    body = {
        "matchers": ["channel=hotline", 'severity=~"critical|major"'],
        "window": "daily 22:00-06:00",
        "windows": [{"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}],
        "timezone": "Asia/Shanghai",
        "comment": "closed at night",
    }
    silence = await add(client, auth, body, role="admin")
    assert silence["ends_at"] is None
    assert silence["windows"][1]["days"] == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert silence["state"] in ("active", "scheduled")


async def test_expire(client: Client, auth: Auth) -> None:
    first = await add(client, auth, GOOD)
    second = await add(client, auth, {**GOOD, "comment": "second"})
    response = await client.post(
        f"/api/v1/silences/{first['id']}/expire", headers=auth("responder")
    )
    assert response.status == 200, await response.text()
    expired = await response.json()
    assert expired["state"] == "expired" and expired["expired_at"] is not None
    assert [item["id"] for item in await listed(client, auth)] == [second["id"]]
    everything = await listed(client, auth, "?all=true")
    assert [item["id"] for item in everything] == [second["id"], first["id"]]
    assert await listed(client, auth, "?all=false") == await listed(client, auth)
    again = await client.post(f"/api/v1/silences/{first['id']}/expire", headers=auth("admin"))
    assert again.status == 200
    assert (await again.json())["expired_at"] == expired["expired_at"]  # already expired


@pytest.mark.parametrize("silence_id", ["4242", "abc", "-1", "9" * 30])
async def test_expire_unknown(client: Client, auth: Auth, silence_id: str) -> None:
    response = await client.post(f"/api/v1/silences/{silence_id}/expire", headers=auth("responder"))
    assert response.status == 404
    assert "no silence" in (await response.json())["error"]


async def test_every_problem_is_a_reason(client: Client, auth: Auth) -> None:
    body = {"matchers": ["alertname", "env!=x"], "timezone": "Asia/Shangai", "window": "nightly"}
    response = await client.post("/api/v1/silences", headers=auth("responder"), json=body)
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "invalid silence"
    assert answer["problems"] == [
        "window 1: unknown day 'nightly': days are mon, tue, wed, thu, fri, sat, sun, ranges "
        "such as mon-fri, or daily, weekdays, weekends",
        "'alertname' is not a matcher: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX",
        "unknown time zone 'Asia/Shangai'; did you mean 'Asia/Shanghai'? (use an IANA name such "
        "as Asia/Shanghai, Europe/Berlin or UTC)",
        "a comment is required: say why, so that others know",
    ]
    assert await listed(client, auth, "?all=true") == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1]", "the body must be a JSON object"),
        (b"{", "the body is not valid JSON"),
        (json.dumps({**GOOD, "matchers": []}).encode(), "invalid silence"),
    ],
)
async def test_bad_bodies(client: Client, auth: Auth, body: bytes, reason: str) -> None:
    response = await client.post("/api/v1/silences", headers=auth("responder"), data=body)
    assert response.status == 400
    assert (await response.json())["error"].startswith(reason)


async def test_all_must_be_a_flag(client: Client, auth: Auth) -> None:
    response = await client.get("/api/v1/silences?all=maybe", headers=auth("viewer"))
    assert response.status == 400
    assert (await response.json())["error"] == "all must be true or false"


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("POST", "/api/v1/silences", "viewer"),
        ("POST", "/api/v1/silences", "comms"),
        ("POST", "/api/v1/silences", "alert-source"),
        ("GET", "/api/v1/silences", "alert-source"),
        ("POST", "/api/v1/silences/1/expire", "viewer"),
        ("POST", "/api/v1/silences/1/expire", "comms"),
    ],
)
async def test_roles(client: Client, auth: Auth, method: str, path: str, role: str) -> None:
    response = await client.request(method, path, headers=auth(role), json=GOOD)
    assert response.status == 403, await response.text()
    assert await listed(client, auth, "?all=true") == []


async def test_a_token_is_needed(client: Client) -> None:
    response = await client.get("/api/v1/silences")
    assert response.status == 401
