"""``surge notice …`` and ``surge components``, run as real processes: on the store
directly (audited as the CLI's user) and through a server, tables and ``--json``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from integration.services import run_surge
from notices.conftest import COMPONENTS, SCRIPTS, approve_all

from surge.config import ScriptSettings, TokenEntry
from surge.store.records import AuditQuery
from surge.web.app import create_app
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME

OUTAGE = ["-v", "service=在线客服", "-v", "impact=无法发起会话", "-v", "eta=15:30",
          "-v", "workaround=拨打热线"]  # fmt: skip


def write_config(tmp_path: Path, store: str) -> str:
    components = "\n".join(
        f"  - {{id: {item.id}, name: {json.dumps(dict(item.name), ensure_ascii=False)}}}"
        for item in COMPONENTS
    )
    path = tmp_path / "surge.yaml"
    path.write_text(
        f"store: {store}\nplaybooks: {tmp_path}\nscripts: {{folder: {SCRIPTS}}}\n"
        f"components:\n{components}\n",
        encoding="utf-8",
    )
    return str(path)


async def surge(*args: str) -> tuple[int, str]:
    return await run_surge(*args)


async def test_notices_on_the_store_from_publishing_to_resolving(tmp_path, config):
    path = write_config(tmp_path, config.store)
    for script in ("outage-initial", "outage-resolved"):
        code, output = await surge("scripts", "approve", script, "--by", "lee", "--config", path)
        assert code == 0, output
    code, output = await surge(
        "notice", "publish", "--script", "outage-initial", *OUTAGE, "-c", "web-chat=major_outage",
        "--config", path,
    )  # fmt: skip
    assert code == 0, output
    assert "notice 1 version 1 published (investigating)" in output and "预计15:30恢复" in output
    code, output = await surge(
        "notice", "update", "1", "--script", "outage-initial", *OUTAGE, "--state", "identified",
        "--json", "--config", path,
    )  # fmt: skip
    assert code == 0 and json.loads(output)["notice"]["state"] == "identified", output
    code, output = await surge(
        "notice", "resolve", "1", "--script", "outage-resolved", "-v", "service=在线客服",
        "-v", "resolved_at=15:20", "-v", "contact=热线", "--config", path,
    )  # fmt: skip
    assert code == 0 and "version 3 published (resolved)" in output, output
    code, output = await surge("notice", "show", "1", "--locale", "zh-CN", "--config", path)
    assert code == 0 and "已于15:20恢复正常" in output and "identified" in output, output
    code, output = await surge("notice", "list", "--json", "--config", path)
    [listed] = json.loads(output)["notices"]
    assert listed["state"] == "resolved" and listed["components"] == {"web-chat": "operational"}
    code, output = await surge("audit", "--json", "--config", path)
    actions = [entry["action"] for entry in json.loads(output)["entries"]]
    assert actions[:3] == ["notice.resolve", "notice.update", "notice.publish"]


async def test_preview_drafts_components_and_the_errors_people_see(tmp_path, config):
    path = write_config(tmp_path, config.store)
    code, output = await surge(
        "notice", "preview", "--script", "outage-initial", *OUTAGE, "--config", path
    )
    assert code == 1 and "not approved" in output, output
    code, output = await surge(
        "scripts", "approve", "outage-initial", "--by", "lee", "--config", path
    )
    code, output = await surge(
        "notice", "preview", "--script", "outage-initial", *OUTAGE[:-1], "workaround=我们保证",
        "--config", path,
    )  # fmt: skip
    assert code == 0 and "✗ '保证' is a forbidden phrase" in output, output
    assert "some text breaks a rule" in output
    code, output = await surge(
        "notice", "draft", "--script", "outage-initial", *OUTAGE, "--config", path
    )
    assert code == 0 and "notice 1 version 1 kept as a draft" in output, output
    code, output = await surge("notice", "publish", "1", "1", "--config", path)
    assert code == 0 and "notice 1 version 1 published" in output, output
    code, output = await surge("notice", "publish", "1", "1", "--config", path)
    assert code == 1 and "published already" in output, output
    code, output = await surge(
        "notice", "publish", "--script", "outage-initial", *OUTAGE, "-c", "nowhere=major_outage",
        "--config", path,
    )  # fmt: skip
    assert code == 2 and "unknown component 'nowhere'" in output, output
    code, output = await surge("components", "set", "app", "partial_outage", "--config", path)
    assert code == 0 and "app is now partial_outage" in output, output
    code, output = await surge("components", "--config", path)
    assert code == 0 and "在线客服 / 線上客服 /" in output and "partial_outage" in output


async def test_notices_through_a_server(tmp_path, config, aiohttp_server):
    token = "t-comms-cli"
    served = dataclasses.replace(
        config,
        scripts=ScriptSettings(SCRIPTS),
        components=COMPONENTS,
        tokens=(TokenEntry("lee", "comms", hash_token(token)),),
    )
    app = create_app(served, load_entry_points=False, run_engine=False)
    server = await aiohttp_server(app)
    await approve_all(app[RUNTIME])
    remote = ("--server", str(server.make_url("/")), "--token", token)
    code, output = await surge(
        "notice", "maintenance", "--script", "maintenance-planned", "-v", "service=App",
        "-v", "window=02:00–04:00", "-v", "alternative=use the website",
        "-c", "app=under_maintenance", "--start", "2030-03-03T02:00:00+08:00",
        "--end", "2030-03-03T04:00:00+08:00", "--json", *remote,
    )  # fmt: skip
    assert code == 0, output
    notice = json.loads(output)["notice"]
    assert (notice["kind"], notice["state"], notice["created_by"]) == (
        "maintenance", "scheduled", "lee",
    )  # fmt: skip
    code, output = await surge("notice", "list", "--kind", "maintenance", *remote)
    assert code == 0 and "scheduled" in output and "under_maint" in output, output
    code, output = await surge("notice", "show", "7", *remote)
    assert code == 1 and "no notice 7" in output
    [entry] = await app[RUNTIME].audit.entries(AuditQuery(action="notice.*"))
    assert (entry.action, entry.actor) == ("notice.publish", "lee")


async def test_the_banner_by_hand_on_the_store(tmp_path, config):
    path = write_config(tmp_path, config.store)
    code, output = await surge(
        "scripts", "approve", "traffic-banner", "--by", "lee", "--config", path
    )
    code, output = await surge(
        "banner", "show", "--script", "traffic-banner", "-v", "self_service=帮助中心",
        "--link", "/help", "--expires", "2h", "--config", path,
    )  # fmt: skip
    assert code == 0 and "banner 1 warning" in output and "帮助中心" in output, output
    code, output = await surge("banner", "--json", "--config", path)
    assert json.loads(output)["active"]["link"] == "/help"
    code, output = await surge("banner", "clear", "--config", path)
    assert code == 0 and "cleared banner 1" in output, output
    code, output = await surge("banner", "--config", path)
    assert code == 0 and "no banner is shown" in output, output
