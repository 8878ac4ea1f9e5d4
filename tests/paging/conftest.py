"""Fixtures for the paging tests; the world itself is in tests/support/paging.py."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.paging import LINK_ENV, LINK_SECRET, PAGE_PLAYBOOK, ROOT, Clock, World, approve_scripts
from support.receiver import Receiver

from surge.config import Config
from surge.runtime import Runtime


@pytest.fixture
def world(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> World:
    return make_world(tmp_path, smtp_server, monkeypatch, store_url)


@pytest.fixture
def tls_world(
    tmp_path: Path, smtp_tls_server: Any, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> World:
    """The world with a mail server that requires STARTTLS and a login."""
    return make_world(tmp_path, smtp_tls_server, monkeypatch, store_url)


def make_world(tmp_path: Path, smtp: Any, monkeypatch: pytest.MonkeyPatch, store: str) -> World:
    monkeypatch.setenv(LINK_ENV, LINK_SECRET)
    folder = tmp_path / "world"
    (folder / "playbooks").mkdir(parents=True)
    (folder / "playbooks" / "outage.yaml").write_text(PAGE_PLAYBOOK, encoding="utf-8")
    shutil.copytree(ROOT / "config" / "scripts", folder / "scripts")
    return World(folder, smtp, store)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def start_world(make_runtime: Callable[..., Any], clock: Clock) -> Callable[..., Any]:
    """``await start_world(config)``: a started runtime on the test clock, scripts approved."""

    async def start(config: Config, plugins: list[object] | None = None) -> Runtime:
        runtime: Runtime = await make_runtime(config=config, start=False, plugins=plugins)
        runtime.engine.clock = clock
        await approve_scripts(runtime)
        await runtime.engine.start()
        return runtime

    return start


@pytest.fixture
def receiver_app(aiohttp_server: Any) -> Callable[[], Any]:
    """``await receiver_app()``: a recording HTTP receiver on loopback."""

    async def make() -> Receiver:
        return await Receiver.serve(aiohttp_server)

    return make
