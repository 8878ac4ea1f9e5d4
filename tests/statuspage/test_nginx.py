"""docs/notices.md's nginx config, run by Debian's nginx on loopback over a real export:
it serves each language as surge does, the JSON with CORS, and hides the export's own
files. Only ``listen`` and ``root`` are changed from the documented block."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from statuspage.views import SITE, sample_view

from surge.statuspage.export import export
from surge.statuspage.snapshot import build

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRAPPER = """
daemon off;
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    types {{
        text/html html;
        application/json json;
        text/javascript js;
        application/atom+xml atom;
    }}
    default_type application/octet-stream;
{documented}
}}
"""


def documented_block() -> str:
    text = (ROOT / "docs" / "notices.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```nginx\n(.*?)```", text, flags=re.S)
    return str(block)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path):
    """The documented server over an export of the sample view (page locale zh-CN)."""
    if not os.access(NGINX, os.X_OK):
        raise AssertionError("nginx is missing: install the Debian package nginx (scripts/test)")
    site = replace(SITE, settings=replace(SITE.settings, locale="zh-CN"))
    snapshot = build(sample_view(), site)
    export(snapshot, tmp_path / "site")
    port = free_port()
    block = documented_block()
    assert "listen 443 ssl;" in block and "root /srv/status;" in block
    block = block.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    block = block.replace("root /srv/status;", f"root {tmp_path / 'site'};")
    user = "user root;" if os.geteuid() == 0 else ""
    config = tmp_path / "nginx.conf"
    config.write_text(WRAPPER.format(user=user, folder=tmp_path, documented=block))
    log = tmp_path / "nginx.out"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(tmp_path)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError(f"nginx did not start: {log.read_text()}") from None
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", snapshot
    finally:
        process.terminate()
        process.wait(10)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_serves_the_export_as_surge_does(served):
    url, snapshot = served
    cases = [
        ("/status", {"Accept-Language": "zh-TW,zh;q=0.9"}, "status/index.zh-TW.html"),
        ("/status", {"Accept-Language": "en-GB,en;q=0.9"}, "status/index.en.html"),
        ("/status?lang=en", {"Accept-Language": "zh-CN"}, "status/index.en.html"),
        ("/status", {}, "status/index.zh-CN.html"),
        ("/history.atom?lang=zh-TW", {}, "history.zh-TW.atom"),
        ("/history.atom", {}, "history.atom"),
        ("/api/v2/summary.json", {}, "api/v2/summary.json"),
        ("/api/v2/incidents/unresolved.json", {}, "api/v2/incidents/unresolved.json"),
        ("/banner.json", {}, "banner.json"),
        ("/banner.js", {}, "banner.js"),
    ]
    for path, headers, expected in cases:
        status, _, body = get(url + path, **headers)
        assert status == 200 and body == snapshot[expected].body, (path, headers)
    status, headers, _ = get(url + "/status")
    assert headers["Content-Type"].startswith("text/html") and headers["Vary"] == "Accept-Language"
    for path in ("/api/v2/summary.json", "/banner.json"):
        status, headers, _ = get(url + path)
        assert headers["Content-Type"].startswith("application/json")
        assert headers["Access-Control-Allow-Origin"] == "*"
        status, _, body = get(url + path, **{"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b""


def test_nginx_hides_the_exports_own_files(served):
    url, _ = served
    for path in ("/.surge-export.lock", "/surge-export.json"):
        status, _, _ = get(url + path)
        assert status == 403, path
