"""docs/deployment.md's pg_dump / pg_restore commands, word for word, on a populated store."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from store.conftest import NOW, incident, run
from support.postgres import temporary_database

from surge.store import open_store
from surge.store.records import TimelineEntry

DOC = Path(__file__).parents[2] / "docs" / "deployment.md"


def documented_commands() -> str:
    found = re.search(r"<!-- example: pg-backup -->\n```sh\n(.*?)\n```", DOC.read_text(), re.S)
    assert found is not None, "docs/deployment.md lost its pg-backup example"
    return found.group(1)


async def test_a_store_restored_from_the_documented_backup_is_the_same(tmp_path, postgres_url):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump and pg_restore are needed: ./scripts/test installs postgresql-client")
    store = open_store(postgres_url)
    await store.open()
    for n in range(3):
        opened = TimelineEntry(0, NOW, "test", "incident.opened", f"第{n}个")
        await store.create_incident(incident(title=f"T{n}"), [run("a")], [opened])
    await store.close()
    with temporary_database("surge_restore") as restore_url:
        env = {**os.environ, "SURGE_DB": postgres_url, "RESTORE_DB": restore_url}
        backup = await asyncio.create_subprocess_exec(
            "bash", "-euc", documented_commands(), cwd=tmp_path, env=env
        )
        assert await backup.wait() == 0
        snapshots = []
        for url in (postgres_url, restore_url):
            opened_store = open_store(url)
            await opened_store.open()
            incidents = await opened_store.list_incidents()
            timelines = [await opened_store.timeline(item.id) for item in incidents]
            runs = [await opened_store.runs(item.id) for item in incidents]
            snapshots.append((incidents, timelines, runs))
            await opened_store.close()
    assert snapshots[0] == snapshots[1] and len(snapshots[0][0]) == 3
