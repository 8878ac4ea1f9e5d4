"""The store suite runs every test marked ``both`` against SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.postgres import temporary_database

from surge.store import Store, open_store
from surge.store.records import Incident, IncidentStatus, NewRun, Phase

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
BACKENDS = ("sqlite", "postgresql")


def incident(**changes: Any) -> Incident:
    fields: dict[str, Any] = dict(
        id=0,
        playbook_id="pb",
        title="T",
        severity="warning",
        status=IncidentStatus.TRIGGERED,
        trigger="manual",
        triggered_by="test",
        params={"city": "上海"},
        created_at=NOW,
        updated_at=NOW,
    )
    fields.update(changes)
    return Incident(**fields)


def run(step: str, index: int = 0, due: datetime = NOW) -> NewRun:
    return NewRun(Phase.STEPS, index, step, "log", 1, due)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/surge.db"
        return
    with temporary_database() as url:
        yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = open_store(store_url)
    await opened.open()
    yield opened
    await opened.close()
