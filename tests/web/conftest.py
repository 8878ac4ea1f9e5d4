"""Fixtures for the HTTP tests: a config with one token per role, playbooks, a test client."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from support.probe import Probe

from surge.config import Config, TokenEntry
from surge.runtime import Runtime
from surge.web.app import create_app
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME

# One bearer token per role; the config keeps only their hashes.
TOKENS = {
    "admin": "t-admin",
    "responder": "t-responder",
    "comms": "t-comms",
    "viewer": "t-viewer",
    "alert-source": "t-alerts",
}

PLAYBOOKS = {
    # responders (and admins) may trigger it by hand
    "pb": """
        id: pb
        title: Probe playbook
        kind: generic
        severity: major
        params:
          reason: {type: string, required: true}
          count: {type: int, default: 1, min: 1, max: 10}
          loud: {type: bool, default: false}
        triggers:
          - manual: {roles: [responder]}
        steps:
          - {id: first, action: probe.record, with: {value: "{{ params.reason }}"}}
          - {id: second, action: log, with: {message: "count={{ params.count }}"}}
        on_resolve:
          - {id: closing, action: probe.record, with: {value: closed}}
    """,
    # only comms may trigger it (and admins)
    "comms-only": """
        id: comms-only
        title: Comms playbook
        triggers:
          - manual: {roles: [comms]}
        steps:
          - {id: note, action: log, with: {message: comms}}
    """,
    # no manual trigger at all: only admins may start it by hand
    "auto": """
        id: auto
        title: Alert-only playbook
        triggers:
          - alert: {match: {alertname: Down}}
        steps:
          - {id: note, action: log, with: {message: auto}}
    """,
    # parks on a wait so that the incident stays busy
    "waiter": """
        id: waiter
        title: Waits for an ack
        triggers:
          - manual: {roles: [responder]}
        steps:
          - {id: hold, action: wait, with: {until: acknowledged, timeout: 1h}}
    """,
}

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


Auth = Callable[[str], dict[str, str]]


@pytest.fixture
def auth() -> Auth:
    """``auth("viewer")``: the headers that carry that role's token."""

    def headers(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[role]}"}

    return headers


@pytest.fixture
def api_config(config: Config, write_playbook: Callable[[str, str], Path]) -> Config:
    for name, text in PLAYBOOKS.items():
        write_playbook(name, text)
    entries = tuple(
        TokenEntry(f"{role}-token", role, hash_token(token)) for role, token in TOKENS.items()
    )
    return dataclasses.replace(config, tokens=entries)


@pytest.fixture
def make_client(api_config: Config, aiohttp_client: Any, probe: Probe) -> ClientFactory:
    # api_config first: its store (a PostgreSQL database with SURGE_TEST_STORE) is then
    # dropped only after the client's app has closed
    async def make(
        *,
        run_engine: bool = True,
        config: Config | None = None,
        plugins: list[object] | None = None,
    ) -> TestClient[web.Request, web.Application]:
        app = create_app(
            config or api_config,
            extra_plugins=[probe, *(plugins or [])],
            load_entry_points=False,
            run_engine=run_engine,
        )
        assert not app[RUNTIME].problems, app[RUNTIME].problems
        client: TestClient[web.Request, web.Application] = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_client: ClientFactory) -> TestClient[web.Request, web.Application]:
    return await make_client()


@pytest.fixture
def runtime(client: TestClient[web.Request, web.Application]) -> Runtime:
    """The runtime behind ``client`` (its store and engine)."""
    return client.app[RUNTIME]


@pytest.fixture
async def world(tmp_path: Path, aiohttp_client: Any) -> TestClient[web.Request, web.Application]:
    """A client of the app in ``web.world``: shipped playbook and scripts, a token per
    role (``world.TOKENS``), incident 1 with an active script and silence 1."""
    from web.world import populate, world_config

    app = create_app(world_config(tmp_path), load_entry_points=False)
    client: TestClient[web.Request, web.Application] = await aiohttp_client(app)
    await populate(client.app[RUNTIME])
    return client
