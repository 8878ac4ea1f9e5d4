"""``GET /api/v1/scripts`` and ``POST /api/v1/scripts/check``."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from scripts.conftest import SAMPLE

from surge.config import Config, ScriptSettings, TokenEntry
from surge.web.app import create_app
from surge.web.auth import hash_token

Client = TestClient[web.Request, web.Application]
ROLES = ("viewer", "responder", "comms", "admin", "alert-source")


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer t-{role}"}


@pytest.fixture
async def client(aiohttp_client: Any, config: Config, tmp_path: Path) -> Client:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "notice.yaml").write_text(textwrap.dedent(SAMPLE), encoding="utf-8")
    tokens = tuple(TokenEntry(role, role, hash_token(f"t-{role}")) for role in ROLES)
    app = create_app(
        dataclasses.replace(config, tokens=tokens, scripts=ScriptSettings(folder)),
        load_entry_points=False,
        run_engine=False,
    )
    result: Client = await aiohttp_client(app)
    return result


async def test_list_scripts(client: Client) -> None:
    answer = await client.get("/api/v1/scripts", headers=auth("viewer"))
    assert answer.status == 200
    [script] = (await answer.json())["scripts"]
    assert script["id"] == "notice"
    assert script["locales"] == ["zh-CN", "zh-TW", "en"]
    assert script["vars"]["eta"] == {"type": "string", "required": True, "description": ""}
    assert len(script["content_hash"]) == 64
    denied = await client.get("/api/v1/scripts", headers=auth("alert-source"))
    assert denied.status == 403


@pytest.mark.parametrize("role", ["viewer", "responder", "comms", "admin"])
async def test_check_a_reply(client: Client, role: str) -> None:
    body = {"script": "notice", "text": "我們保證，１００％恢復", "locale": "zh-TW"}
    answer = await client.post("/api/v1/scripts/check", json=body, headers=auth(role))
    assert answer.status == 200
    result = await answer.json()
    assert result["pass"] is False
    assert [(v["rule"], v["start"], v["end"], v["found"]) for v in result["violations"]] == [
        ("forbidden", 2, 4, "保證"),
        ("forbidden", 5, 9, "１００％"),
    ]
    assert result["instead"] == "[service]異常，預計[eta]恢復，約30分鐘。"
    assert result["violations"][0]["instead"] == result["instead"]


async def test_a_clean_reply_passes(client: Client) -> None:
    body = {"script": "notice", "text": "Back by 15:30.", "locale": "en", "channel": "push"}
    answer = await client.post("/api/v1/scripts/check", json=body, headers=auth("comms"))
    assert await answer.json() == {
        "pass": True,
        "violations": [],
        "instead": "[service] is down; back by [eta], in about 30 minutes.",
    }


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({"script": "notice"}, ["text must be the reply to check, as a string"]),
        ({"script": "notice", "text": 5}, ["text must be the reply to check, as a string"]),
        (
            {"script": "notice", "text": "x" * 10_001},
            ["text has 10001 characters; at most 10000 are checked"],
        ),
        (
            {"script": "notice", "text": "x", "locale": "fr"},
            ["locale must be one of zh-CN, zh-TW, en; got 'fr'"],
        ),
        (
            {"text": "x", "channel": 3, "colour": "red"},
            [
                "unknown field 'colour'; known: script, incident, text, locale, channel",
                "script must be the id of a script (or give incident: ID)",
                "channel must be a channel name such as sms",
            ],
        ),
    ],
)
async def test_bad_bodies_are_400_with_every_reason(
    client: Client, body: dict[str, Any], problems: list[str]
) -> None:
    answer = await client.post("/api/v1/scripts/check", json=body, headers=auth("responder"))
    assert answer.status == 400
    assert await answer.json() == {"error": "invalid check", "problems": problems}


async def test_unknown_script_is_404_and_bad_json_400(client: Client) -> None:
    body = {"script": "nope", "text": "x"}
    answer = await client.post("/api/v1/scripts/check", json=body, headers=auth("viewer"))
    assert (answer.status, await answer.json()) == (404, {"error": "no script 'nope'"})
    raw = await client.post("/api/v1/scripts/check", data=b"[1]", headers=auth("viewer"))
    assert raw.status == 400
    forbidden = await client.post("/api/v1/scripts/check", json=body, headers=auth("alert-source"))
    assert forbidden.status == 403
