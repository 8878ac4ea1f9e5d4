"""docs/deployment.md's shipped files and commands: the systemd unit verifies, the nginx
config proxies to a real ``surge serve`` (the audit log sees the client through it), and
the SQLite backup command makes a copy with the same incidents."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli.helpers import write_config
from support.serve import Server, free_port, serve

from surge.store import open_store
from surge.store.records import Incident, IncidentStatus, TimelineEntry

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "deployment.md"
UNIT = ROOT / "config" / "systemd" / "surge.service"
NGINX = ROOT / "config" / "nginx" / "surge.conf"
TOKEN = "t-admin-behind-nginx"


def _shown(marker: str, language: str) -> str:
    found = re.search(re.escape(marker) + rf"\n```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"docs/deployment.md lost the block after {marker}"
    return found.group(1)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is needed: ./scripts/test installs it (DEBIAN_PACKAGES)")
    return found


def test_the_documented_files_are_the_shipped_ones() -> None:
    assert _shown("<!-- config/systemd/surge.service -->", "ini") == UNIT.read_text()
    assert _shown("<!-- config/nginx/surge.conf -->", "nginx") == NGINX.read_text()


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    surge = Path(sys.executable).with_name("surge")
    unit = tmp_path / "surge.service"  # the unit as shipped, pointed at this install
    unit.write_text(UNIT.read_text().replace("/opt/surge/.venv/bin/surge", str(surge)))
    checked = subprocess.run(
        [_tool("systemd-analyze"), "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    assert str(unit) not in checked.stderr, checked.stderr  # no unknown key or bad value


@pytest.fixture
def surge_server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    config = write_config(tmp_path, f"127.0.0.1:{port}")
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    with config.open("a", encoding="utf-8") as extra:
        extra.write(
            f"auth: {{tokens: [{{name: ops, role: admin, sha256: '{digest}'}}]}}\n"
            "audit: {trusted_proxies: [127.0.0.1]}\n"
        )
    with serve(config, f"http://127.0.0.1:{port}", tmp_path) as running:
        yield running


@pytest.fixture
def nginx(tmp_path: Path, surge_server: Server) -> Iterator[str]:
    """The shipped server block in a real nginx on a loopback port, with a fresh cert."""
    folder = tmp_path / "nginx"
    folder.mkdir()
    subprocess.run(
        [_tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(folder / "key.pem"),
         "-out", str(folder / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    port = free_port()
    upstream = surge_server.url.removeprefix("http://")
    site = (
        NGINX.read_text()
        .replace("server 127.0.0.1:8080;", f"server {upstream};")
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
        .replace("/etc/ssl/surge/fullchain.pem", str(folder / "cert.pem"))
        .replace("/etc/ssl/surge/privkey.pem", str(folder / "key.pem"))
    )
    (folder / "surge.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        textwrap.dedent(f"""
            {"user root;" if os.geteuid() == 0 else ""}
            worker_processes 1;
            error_log {folder}/error.log;
            pid {folder}/nginx.pid;
            events {{ worker_connections 64; }}
            http {{
                access_log off;
                include {folder}/surge.conf;
            }}
        """)
    )
    command = [_tool("nginx"), "-p", str(folder), "-c", str(folder / "nginx.conf")]
    tested = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _call(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own cert
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "203.0.113.7"}
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    for _ in range(50):  # nginx binds its port a moment after it starts
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except ConnectionRefusedError:
            pass
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
        time.sleep(0.1)
    raise AssertionError(f"nginx never answered {url}")


def test_nginx_proxies_to_surge_and_the_audit_sees_the_client(nginx: str) -> None:
    status, health = _call(f"{nginx}/healthz")
    assert status == 200 and isinstance(health, dict)
    body = {"params": {"reason": "via nginx"}}
    status, started = _call(f"{nginx}/api/v1/playbooks/example/trigger", "POST", body)
    assert status == 201, started
    status, audit = _call(f"{nginx}/api/v1/audit")
    assert status == 200 and isinstance(audit, dict)
    [entry] = [e for e in audit["entries"] if e["action"] == "incident.trigger"]
    assert entry["address"] == "203.0.113.7" and "via 127.0.0.1" in entry["origin"]


async def test_the_documented_sqlite_backup_has_the_same_incidents(tmp_path: Path) -> None:
    database, backup = tmp_path / "surge.db", tmp_path / "surge-backup.db"
    store = open_store(f"sqlite:///{database}")
    await store.open()
    try:
        now = datetime.now(UTC)
        for n in range(3):
            incident = Incident(0, "pb", f"T{n}", "warning", IncidentStatus.TRIGGERED,
                                "manual", "test", {"city": "上海"}, now, now)  # fmt: skip
            entry = TimelineEntry(0, now, "t", "note", f"第{n}")
            await store.create_incident(incident, [], [entry])
        env = {**os.environ, "SURGE_DB": str(database), "BACKUP": str(backup)}
        _tool("sqlite3")
        commands = _shown("<!-- example: sqlite-backup -->", "sh")
        done = await asyncio.create_subprocess_exec(
            "bash", "-euc", commands, env=env, stdout=asyncio.subprocess.PIPE
        )
        output, _ = await done.communicate()
        assert done.returncode == 0 and output.decode().strip() == "ok"
        copy = open_store(f"sqlite:///{backup}")
        await copy.open()
        try:
            assert await copy.list_incidents() == await store.list_incidents()
            first = (await store.list_incidents())[0].id
            assert await copy.timeline(first) == await store.timeline(first)
        finally:
            await copy.close()
    finally:
        await store.close()
