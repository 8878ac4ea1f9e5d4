"""A full disk and a read-only store under a real ``surge serve``: a clear error in the
log, in /readyz, in the API's answer and in the CLI; no corruption; the service resumes
by itself when the disk does. The store lives on a small tmpfs mounted for the test."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from reliability.support import Server, eventually, free_port
from surge.web.auth import hash_token

TOKEN = "surge_disk-test-responder"
PLAYBOOK = """\
id: note
title: Writes notes
triggers:
  - manual: {roles: [responder]}
steps:
  - {id: one, action: log, with: {message: first}}
  - {id: two, action: log, with: {message: second}}
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs: a real file system that fills up (needs root, as in CI)."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs for the disk-full test ({done.stderr.strip()}); "
            "it needs root (CI runs as root)",
            pytrace=False,
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no space left; returns it."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as full:
        (disk / "probe").write_bytes(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    return filler


def setup(tmp_path: Path, disk: Path) -> Server:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "note.yaml").write_text(PLAYBOOK)
    port = free_port()
    config = tmp_path / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""\
        store: sqlite:///{disk / "surge.db"}
        listen: 127.0.0.1:{port}
        playbooks: {tmp_path / "playbooks"}
        engine: {{lease: 1s, poll_interval: 50ms}}
        auth:
          tokens: [{{name: oncall, role: responder, sha256: {hash_token(TOKEN)}}}]
        """)
    )
    return Server(config, port, tmp_path / "surge.log")


async def trigger(server: Server) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.url}/api/v1/playbooks/note/trigger",
            json={},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as answer,
    ):
        return answer.status, await answer.json()


async def cli(server: Server, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "surge",
        *args,
        "--config",
        str(server.config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, output.decode()


async def readyz(server: Server) -> tuple[int, dict[str, object]]:
    status, body = await server.get("/readyz")
    return status, body


async def finished(server: Server, incident: int) -> bool:
    code, output = await cli(server, "show", str(incident), "--json")
    return code == 0 and output.count('"succeeded"') >= 2


def integrity(store: Path) -> str:
    with contextlib.closing(sqlite3.connect(store)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


async def assert_refused(server: Server, why: str) -> None:
    """While the store cannot write: every way in says so, and what to do."""

    async def not_ready() -> bool:
        status, body = await readyz(server)
        return status == 503 and why in str(body["checks"])

    await eventually(not_ready, f"/readyz to report {why!r}", timeout=10)
    status, body = await trigger(server)
    assert status == 503, body
    assert why in str(body["error"]), body
    code, output = await cli(server, "trigger", "note")
    assert code == 1, output
    assert why in output and "Traceback" not in output, output
    assert why in server.log.read_text(), "the log does not say what is wrong"


async def test_disk_full_then_space_again(tmp_path: Path, small_disk: Path) -> None:
    server = setup(tmp_path, small_disk)
    try:
        await server.start()
        status, first = await trigger(server)
        assert status == 201, first
        await eventually(lambda: finished(server, 1), "the first incident")
        filler = fill(small_disk)
        await assert_refused(server, "database or disk is full")
        status, _ = await server.get("/healthz")
        assert status == 200  # the process itself is fine: restart would not help

        os.remove(filler)
        await eventually(lambda: readyz_ok(server), "/readyz once there is space", timeout=10)
        status, again = await trigger(server)
        assert status == 201, again
        await eventually(lambda: finished(server, int(str(again["id"]))), "a new incident")
    finally:
        server.stop()
    assert integrity(small_disk / "surge.db") == "ok"


async def test_read_only_store_then_writable_again(tmp_path: Path, small_disk: Path) -> None:
    """A file system that is read-only while the files are open cannot be made here (the
    kernel refuses while surge writes), so the store's disk is read-only at start-up."""
    server = setup(tmp_path, small_disk)
    await server.start()
    status, first = await trigger(server)
    assert status == 201, first
    await eventually(lambda: finished(server, 1), "the first incident")
    server.stop()
    remount(small_disk, "ro")
    try:
        server.spawn()
        assert server.process is not None
        code = await asyncio.to_thread(server.process.wait, 30)
        assert code == 1, server.tail()
        assert "the store cannot be used" in server.tail(), server.tail()
        assert f"the folder {small_disk} is not writable" in server.tail(), server.tail()
        assert "Traceback" not in server.log.read_text(), server.tail()
        code, output = await cli(server, "trigger", "note")
        assert code == 1 and "the store cannot be" in output, output
        assert "Traceback" not in output, output
    finally:
        remount(small_disk, "rw")
    try:
        await server.start()
        status, again = await trigger(server)
        assert status == 201, again
        await eventually(lambda: finished(server, int(str(again["id"]))), "a new incident")
    finally:
        server.stop()
    assert integrity(small_disk / "surge.db") == "ok"


async def readyz_ok(server: Server) -> bool:
    status, _ = await readyz(server)
    return status == 200
