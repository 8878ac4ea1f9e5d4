"""Fixtures for the console's tests: the API's world (tests/web/world.py) and a client
signed in to the console as a role."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from web.world import TOKENS, populate, world_config

from surge.config import Config
from surge.web.app import create_app
from surge.web.keys import RUNTIME

Client = TestClient[web.Request, web.Application]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(client: Client, role: str, token: str | None = None) -> None:
    """Sign ``client`` in as it would in a browser: the sign-in page, then its form."""
    page = await (await client.get("/console/login")).text()
    response = await client.post(
        "/console/login",
        data={"csrf": csrf_of(page), "token": token or TOKENS[role], "next": "/console/"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()


@pytest.fixture
def console_config(tmp_path: Path) -> Config:
    return world_config(tmp_path)


@pytest.fixture
def make_console(console_config: Config, aiohttp_client: Any) -> Callable[..., Awaitable[Client]]:
    """``await make_console("viewer")``: a new client of one world app, signed in as that
    role (None: not signed in)."""
    app = create_app(console_config, load_entry_points=False)
    made: list[Client] = []

    async def make(role: str | None = None) -> Client:
        if not made:
            client: Client = await aiohttp_client(app)
            await populate(client.app[RUNTIME])
        else:  # another browser on the same server: its own cookies
            client = await aiohttp_client(made[0].server)
        made.append(client)
        if role is not None:
            await sign_in(client, role)
        return client

    return make
