"""Signing in to the console: a token becomes a session cookie (HttpOnly, SameSite=Strict,
signed; only its hash is stored), checked again on every request; no bearer token
reaches a console page and no console cookie reaches the API."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
from datetime import UTC, datetime

from web.console.conftest import csrf_of, sign_in
from web.world import NAMES, TOKENS
from yarl import URL

from surge.console_settings import ConsoleSettings
from surge.store.records import AuditQuery, TokenRecord
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME
from surge.web.openapi.assemble import described_routes, document


def replace_session(client, value: str) -> None:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"surge_console": value})


async def test_a_page_without_a_session_goes_to_the_sign_in(make_console) -> None:
    client = await make_console()
    response = await client.get("/console/incidents/1?x=1", allow_redirects=False)
    assert response.status == 303
    target = URL(response.headers["Location"])
    assert (target.path, target.query["next"]) == ("/console/login", "/console/incidents/1?x=1")
    stream = await client.get("/console/live/incidents", headers={"Accept": "text/event-stream"})
    assert stream.status == 401
    # a bearer token is no console session
    bearer = {"Authorization": f"Bearer {TOKENS['admin']}"}
    response = await client.get("/console/", headers=bearer, allow_redirects=False)
    assert response.status == 303


async def test_signing_in_sets_a_strict_http_only_cookie_and_stores_only_hashes(
    make_console,
) -> None:
    client = await make_console()
    page = await (await client.get("/console/login")).text()
    response = await client.post(
        "/console/login",
        data={"csrf": csrf_of(page), "token": TOKENS["responder"], "next": "/console/trigger"},
        allow_redirects=False,
    )
    assert (response.status, response.headers["Location"]) == (303, "/console/trigger")
    cookie = response.cookies["surge_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console/"
    assert cookie["max-age"] == str(12 * 3600 + 3600)  # the server ends it after 12 h
    session_id, _, signature = cookie.value.partition(".")
    assert session_id and signature
    runtime = client.app[RUNTIME]
    stored = await runtime.store.console_session(hashlib.sha256(session_id.encode()).hexdigest())
    assert stored is not None and (stored.name, stored.role) == (NAMES["responder"], "responder")
    assert stored.token_sha256 == hash_token(TOKENS["responder"])
    assert TOKENS["responder"] not in response.headers.get("Set-Cookie", "")
    page = await (await client.get("/console/")).text()
    assert f"{NAMES['responder']} (responder)" in page
    [entry] = await runtime.audit.entries(AuditQuery(action="console.sign_in"))
    assert (entry.actor, entry.target) == (NAMES["responder"], f"token:{NAMES['responder']}")


async def test_a_wrong_token_or_a_role_without_pages_is_refused(make_console) -> None:
    client = await make_console()
    refused = (("nope", "Unknown or revoked token"), (TOKENS["alert-source"], "alert-source"))
    for token, says in refused:
        page = await (await client.get("/console/login")).text()
        response = await client.post(
            "/console/login", data={"csrf": csrf_of(page), "token": token}, allow_redirects=False
        )
        assert response.status == 401
        assert says in await response.text()
        assert "surge_console" not in response.cookies


async def test_a_forged_or_altered_cookie_is_no_session(make_console) -> None:
    client = await make_console("admin")
    jar = client.session.cookie_jar
    [cookie] = [item for item in jar if item.key == "surge_console"]
    session_id, _, signature = cookie.value.partition(".")
    for forged in (f"{session_id}.{'A' * len(signature)}", f"x{session_id}.{signature}", "junk"):
        replace_session(client, forged)
        response = await client.get("/console/", allow_redirects=False)
        assert response.status == 303, forged
        assert "expired=1" in response.headers["Location"]


async def test_the_console_cookie_does_not_reach_the_api(make_console) -> None:
    client = await make_console("admin")
    assert any(item.key == "surge_console" for item in client.session.cookie_jar)
    response = await client.get("/api/v1/incidents")
    assert response.status == 401
    response = await client.post("/api/v1/incidents/1/ack")
    assert response.status == 401


async def test_signing_out_ends_the_session_on_the_server(make_console) -> None:
    client = await make_console("responder")
    [cookie] = [item for item in client.session.cookie_jar if item.key == "surge_console"]
    kept = cookie.value
    page = await (await client.get("/console/")).text()
    response = await client.post(
        "/console/logout", data={"csrf": csrf_of(page)}, allow_redirects=False
    )
    assert (response.status, response.headers["Location"]) == (303, "/console/login?out=1")
    replace_session(client, kept)  # a copy of the cookie kept elsewhere
    response = await client.get("/console/", allow_redirects=False)
    assert response.status == 303 and "/console/login" in response.headers["Location"]


async def test_revoking_the_token_ends_its_sessions(make_console) -> None:
    client = await make_console()
    runtime = client.app[RUNTIME]
    await runtime.store.add_token(
        TokenRecord("temp", "responder", hash_token("surge_temp-token"), datetime.now(UTC))
    )
    await sign_in(client, "responder", token="surge_temp-token")
    assert (await client.get("/console/", allow_redirects=False)).status == 200
    await runtime.store.revoke_token("temp", datetime.now(UTC))
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_a_session_expires_after_its_ttl(console_config, aiohttp_client) -> None:
    from surge.web.app import create_app

    config = dataclasses.replace(console_config, console=ConsoleSettings(session_ttl=0.5))
    client = await aiohttp_client(create_app(config, load_entry_points=False))
    await sign_in(client, "viewer")
    assert (await client.get("/console/", allow_redirects=False)).status == 200
    await asyncio.sleep(0.6)
    response = await client.get("/console/", allow_redirects=False)
    assert response.status == 303 and "expired=1" in response.headers["Location"]
    page = await (await client.get(response.headers["Location"])).text()
    assert "Your session has expired" in page


async def test_a_secret_from_the_environment_signs_instead(
    console_config, aiohttp_client, monkeypatch
) -> None:
    from surge.web.app import create_app

    config = dataclasses.replace(console_config, console=ConsoleSettings(secret_env="CONSOLE_KEY"))
    client = await aiohttp_client(create_app(config, load_entry_points=False))
    response = await client.get("/console/login")
    assert response.status == 503 and "CONSOLE_KEY" in await response.text()
    monkeypatch.setenv("CONSOLE_KEY", "s3cret-from-the-environment")
    await sign_in(client, "viewer")
    assert (await client.get("/console/", allow_redirects=False)).status == 200
    assert "s3cret-from-the-environment" in config.secrets()


async def test_console_pages_decide_access_and_stay_out_of_the_api_document(
    make_console,
) -> None:
    from surge.web.auth import console_access

    client = await make_console()
    app = client.app
    console_routes = [
        route
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/console")
    ]
    assert len(console_routes) >= 10
    undecided = [r.resource.canonical for r in console_routes if console_access(r.handler) is None]
    assert not undecided, f"mark these console_page(PERMISSION) or console_open(WHY): {undecided}"
    elsewhere = [route.path for route in described_routes(app) if route.path.startswith("/console")]
    assert not elsewhere
    assert not [path for path in document(app)["paths"] if not path.startswith(("/api/", "/"))]
    assert not [path for path in document(app)["paths"] if path.startswith("/console")]


def test_docs_console_lists_every_console_route(console_config) -> None:
    from pathlib import Path

    from surge.web.app import create_app
    from surge.web.auth import console_access

    app = create_app(console_config, load_entry_points=False)
    text = (Path(__file__).resolve().parents[3] / "docs" / "console.md").read_text("utf-8")
    listed = set(re.findall(r"^\| `((?:GET|POST) /console\S*)` \|", text, re.M))
    served = {
        f"{route.method} {route.resource.canonical}"
        for route in app.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        and console_access(route.handler) is not None
    }
    assert listed == served, (sorted(served - listed), sorted(listed - served))
