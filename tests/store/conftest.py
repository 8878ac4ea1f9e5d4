"""A fresh SQLite store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.store import open_store


@pytest.fixture
async def store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path}/surge.db")
    await store.open()
    yield store
    await store.close()
