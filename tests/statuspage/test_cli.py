"""``surge export-status DIR``: the public files from the store named in the config."""

from __future__ import annotations

import asyncio
import json
import textwrap

from statuspage.conftest import ROOT, approve_all, publish_bad_day

from surge.cli import main
from surge.config import load_config
from surge.runtime import build_runtime


async def seed(config) -> None:
    runtime = build_runtime(load_config(str(config)), load_entry_points=False)
    await runtime.open()
    try:
        await approve_all(runtime)
        assert runtime.engine.services.notices is not None
        await publish_bad_day(runtime.engine.services.notices)
    finally:
        await runtime.close()


def test_export_status_writes_the_tree_and_says_what_it_did(tmp_path, capsys):
    (tmp_path / "playbooks").mkdir()
    config = tmp_path / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""\
            store: sqlite:///{tmp_path / "surge.db"}
            playbooks: {tmp_path / "playbooks"}
            public_url: https://status.example.com
            scripts: {{folder: {ROOT / "config" / "scripts"}}}
            status_page: {{locale: zh-CN}}
            components:
              - {{id: web-chat, name: {{zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}}}}
              - {{id: app, name: {{zh-CN: 手机应用, zh-TW: 手機應用程式, en: Mobile app}}}}
            """),
        encoding="utf-8",
    )
    asyncio.run(seed(config))
    folder = tmp_path / "site"
    assert main(["export-status", str(folder), "--config", str(config), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["folder"] == str(folder) and done["removed"] == [] and done["revision"] > 0
    assert "status/index.html" in done["written"] and "banner.js" in done["written"]
    page = (folder / "status" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "在线客服" in page
    summary = json.loads((folder / "api" / "v2" / "summary.json").read_bytes())
    assert summary["page"]["url"] == "https://status.example.com"
    assert [item["status"] for item in summary["incidents"]] == ["identified"]
    assert main(["export-status", str(folder), "--config", str(config)]) == 0
    said = capsys.readouterr().out
    assert f"{folder}: 0 files written, {len(done['written'])} unchanged, 0 removed" in said


def test_export_status_says_why_it_cannot_write(tmp_path, capsys):
    (tmp_path / "playbooks").mkdir()
    config = tmp_path / "surge.yaml"
    config.write_text(
        f"store: sqlite:///{tmp_path / 'surge.db'}\nplaybooks: {tmp_path / 'playbooks'}\n",
        encoding="utf-8",
    )
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["export-status", str(blocker / "site"), "--config", str(config)]) == 1
    assert "cannot write the export to" in capsys.readouterr().err
