"""Fixtures that start real Prometheus, Alertmanager, a test exporter and ``surge serve``
on loopback ports, with temporary data, and stop them at teardown (see services.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from integration.services import (
    Exporter,
    Processes,
    StartAlertmanager,
    StartPrometheus,
    StartSurge,
    free_port,
)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """What the test started; every process is stopped at teardown, even on failure."""
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    """A metrics endpoint on loopback serving what the test sets: ``exporter.set(NAME,
    VALUE, **labels)``."""
    with Exporter().serving() as served:
        yield served


@pytest.fixture
def alertmanager(
    processes: Processes, tmp_path: Path, http: aiohttp.ClientSession
) -> StartAlertmanager:
    """``await alertmanager(config_text)``; see ``alertmanager_config``."""
    return StartAlertmanager(processes, tmp_path, http)


@pytest.fixture
def prometheus(
    processes: Processes, tmp_path: Path, http: aiohttp.ClientSession, exporter: Exporter
) -> StartPrometheus:
    """``await prometheus(rules=RULES_YAML, alertmanager=am)``, scraping ``exporter``."""
    return StartPrometheus(processes, tmp_path, http, exporter)


@pytest.fixture
def surge_port() -> int:
    """Chosen before surge starts, so that Alertmanager's config can point at it."""
    return free_port()


@pytest.fixture
def surge_url(surge_port: int) -> str:
    return f"http://127.0.0.1:{surge_port}"


@pytest.fixture
def surge(
    processes: Processes, tmp_path: Path, http: aiohttp.ClientSession, surge_port: int
) -> StartSurge:
    """``await surge({"name": playbook_yaml}, prometheus=prom)``: ``surge serve`` ready."""
    return StartSurge(processes, tmp_path, http, surge_port)
