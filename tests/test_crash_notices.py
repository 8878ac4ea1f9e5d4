"""Kill -9 a real `surge serve` after notice.publish stored its version but before the step
was recorded as finished; the restarted server runs the step again and publishes nothing
twice: one notice, one version, found by the step's idempotency key.

The moment is made exact with PostgreSQL table locks held by the test: the script's
approvals are locked until the step is running, the timeline until the version is in (the
step's next write is its timeline note), and then the server is killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import textwrap
from pathlib import Path
from typing import Any

import psycopg
from test_crash import free_port, start_server, surge

PLAYBOOK = """
id: outage
title: Outage
steps:
  - id: notice
    action: notice.publish
    with:
      script: outage-initial
      components: {web-chat: major_outage}
      vars: {service: Web chat, impact: no chats, eta: "15:30", workaround: call us}
  - id: after
    action: log
    with: {message: published}
"""
SCRIPTS = Path(__file__).parents[1] / "config" / "scripts"


def write_setup(tmp_path: Path, store: str, port: int) -> Path:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "outage.yaml").write_text(PLAYBOOK)
    config = tmp_path / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""
        store: {store}
        listen: 127.0.0.1:{port}
        playbooks: {tmp_path}/playbooks
        scripts: {{folder: {SCRIPTS}}}
        engine: {{lease: 1s, poll_interval: 50ms}}
        components:
          - {{id: web-chat, name: Web chat}}
    """)
    )
    return config


async def until(check: Any, what: str, timeout: float = 15.0) -> Any:  # noqa: ASYNC109
    for _ in range(int(timeout / 0.05)):
        found = await asyncio.to_thread(check)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def one(url: str, query: str) -> Any:
    with psycopg.connect(url, autocommit=True) as db:
        return db.execute(query).fetchall()


async def test_kill_9_after_the_version_is_stored_then_restart_publishes_it_once(
    tmp_path: Path, postgres_url: str
) -> None:
    port = free_port()
    config = write_setup(tmp_path, postgres_url, port)
    code, output = await surge(
        "scripts", "approve", "outage-initial", "--by", "lee", "--config", str(config)
    )
    assert code == 0, output
    approvals = psycopg.connect(postgres_url)
    timeline = psycopg.connect(postgres_url)
    approvals.execute("LOCK TABLE script_approvals IN ACCESS EXCLUSIVE MODE")
    server = await start_server(config, port)
    try:
        code, output = await surge("trigger", "outage", "--json", "--config", str(config))
        assert code == 0, output
        incident_id = json.loads(output)["id"]
        running = "SELECT 1 FROM step_runs WHERE step_id = 'notice' AND status = 'running'"
        await until(lambda: one(postgres_url, running), "the notice step to start")
        timeline.execute("LOCK TABLE timeline IN EXCLUSIVE MODE")  # the note will wait
        approvals.commit()  # the step reads its script's approval and publishes
        stored = "SELECT notice_id, number, key FROM notice_versions"
        [version] = await until(lambda: one(postgres_url, stored), "the version to be stored")
        assert version == (1, 1, f"{incident_id}:steps:notice")
        await asyncio.sleep(0.2)  # the step is now waiting on the timeline to write its note
        os.kill(server.pid, signal.SIGKILL)
        await server.wait()
        timeline.rollback()
        [(status,)] = one(postgres_url, "SELECT status FROM step_runs WHERE step_id = 'notice'")
        assert status == "running"  # killed mid-step: the engine never recorded its end

        server = await start_server(config, port)
        done = "SELECT 1 FROM step_runs WHERE step_id = 'after' AND status = 'succeeded'"
        await until(lambda: one(postgres_url, done), "the run to finish after the restart")
    finally:
        approvals.close()
        timeline.close()
        if server.returncode is None:
            server.terminate()
            await server.wait()

    assert one(postgres_url, "SELECT id, state FROM notices") == [(1, "investigating")]
    assert one(postgres_url, "SELECT notice_id, number, status FROM notice_versions") == [
        (1, 1, "published")
    ]
    runs = one(postgres_url, "SELECT step_id, attempt, status, result FROM step_runs ORDER BY id")
    assert [(step, attempt, status) for step, attempt, status, _ in runs] == [
        ("notice", 1, "succeeded"),
        ("after", 1, "succeeded"),
    ]
    result = json.loads(runs[0][3])
    assert (result["notice"], result["version"], result["created"]) == (1, 1, False)
    [(revision,)] = one(postgres_url, "SELECT revision FROM status_revision")
    assert revision == 1  # published once
