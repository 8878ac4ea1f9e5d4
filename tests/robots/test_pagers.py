"""Paging on the three chat platforms: an @mention in the on-call group and a direct
message through the platform's app API, both with the signed acknowledge link."""

from __future__ import annotations

from typing import Any

import pytest
import surge_dingtalk.plugin
import surge_feishu.plugin
import surge_wecom.plugin
from support.paging import wait_for_run
from support.robots import (
    DINGTALK_AGENT,
    DINGTALK_APP_KEY,
    DINGTALK_APP_SECRET,
    FEISHU_APP_ID,
    FEISHU_APP_SECRET,
    FIRST_ROBOT,
    WECOM_AGENT,
    WECOM_CORP,
    WECOM_SECRET,
    Chat,
)

from surge.store.records import IncidentStatus, RunStatus

PLUGINS = [surge_wecom.plugin, surge_dingtalk.plugin, surge_feishu.plugin]
APPS = {
    "wecom": (f"{{corp_id: {WECOM_CORP}, secret_env: APP_SECRET, agent_id: {WECOM_AGENT}}}",
              WECOM_SECRET),
    "dingtalk": (f"{{app_key: {DINGTALK_APP_KEY}, app_secret_env: APP_SECRET, "
                 f"agent_id: {DINGTALK_AGENT}}}", DINGTALK_APP_SECRET),
    "feishu": (f"{{app_id: {FEISHU_APP_ID}, app_secret_env: APP_SECRET}}", FEISHU_APP_SECRET),
}  # fmt: skip
# how 李伟 is mentioned in the group and written to directly
LI_WEI = {
    "wecom": ("liwei", "liwei"),
    "dingtalk": ("manager0001", "manager0001"),
    "feishu": ("ou_7d8a6e6df7621556ce0d21922b676706", "ou_7d8a6e6df7621556ce0d21922b676706"),
}
ROTA = """
timezone: Asia/Shanghai
shifts: {{day: "00:00-24:00"}}
people:
  li-wei: {{name: 李伟, contact: [{{{platform}: {address}}}, {{email: li.wei@example.test}}]}}
  wang-fang: {{name: 王芳, contact: [{{email: wang.fang@example.test}}]}}
teams: {{cs: {{name: 客服}}}}
rotations:
  - {{id: a, team: cs, shift: day, pattern: daily, start: 2026-01-05, people: [li-wei]}}
  - {{id: b, team: cs, shift: day, pattern: daily, start: 2026-01-05, people: [wang-fang]}}
escalation:
  oncall: {{levels: [{{page: [{{on_shift: cs}}], wait: 10m}}]}}
"""


def _direct_text(platform: str, body: dict[str, Any]) -> str:
    if platform == "wecom":
        return str(body["text"]["content"])
    if platform == "dingtalk":
        return str(body["msg"]["markdown"]["text"])
    import json

    return str(json.loads(body["content"])["text"])


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu"])
async def test_a_page_mentions_the_person_in_the_group_and_writes_to_them_with_the_ack_link(
    platform, aiohttp_server, robot_runtime, robot_folder, write_playbook, monkeypatch, smtp_server
) -> None:
    chat = await Chat.start(platform, aiohttp_server)
    mentioned, direct_to = LI_WEI[platform]
    (robot_folder / "rota.yaml").write_text(
        ROTA.format(platform=platform, address=mentioned), encoding="utf-8"
    )
    app, app_secret = APPS[platform]
    monkeypatch.setenv("APP_SECRET", app_secret)
    group = chat.channel("oncall-group", FIRST_ROBOT[platform], monkeypatch)
    config = f"""
    plugins:
      {platform}: {{base_url: "{chat.fake.url}", app: {app}}}
    channels:
      oncall-group: {{{group}, group: 值班群}}
    pagers:
      links: {{secret_env: SURGE_TEST_LINK_SECRET, ttl: 30m}}
      {platform}: {{type: {platform}, channel: oncall-group}}
      email: {{}}
    """
    write_playbook("pb", "id: pb\ntitle: 在线客服故障\nsteps:\n  - {id: page, action: page, "
                   "with: {policy: oncall}}\n")  # fmt: skip
    runtime = await robot_runtime(config, PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    [shown] = chat.shown("oncall-group")
    assert f"【surge 呼叫】在线客服故障（事件 {incident.id}）" in shown.text
    assert shown.mentions == (mentioned,)
    link = shown.text.split("请点击确认：")[1].split()[0]
    assert link.startswith("http://surge.example.test/page/")
    [direct] = chat.fake.direct
    assert link in _direct_text(platform, direct)  # the same signed acknowledge link
    [mail] = smtp_server.received  # 王芳 has no chat contact: e-mail
    assert mail.recipients == ["wang.fang@example.test"]
    [sent] = [e for e in await runtime.store.timeline(incident.id) if e.kind == "page.sent"
              and e.data["person"] == "li-wei"]  # fmt: skip
    assert sent.message.startswith(f"paged 李伟 by {platform} ({mentioned})")
    assert sent.data["result"]["group"] == "oncall-group"
    assert sent.data["result"]["direct"] == direct_to
    timeline = str(await runtime.store.timeline(incident.id))
    assert all(secret not in timeline for secret in (app_secret, *FIRST_ROBOT[platform]) if secret)

    token = link.rsplit("/", 1)[1]  # the link acknowledges: the escalation stops
    from surge.paging.links import read_token

    claim = read_token("link-secret-for-robot-tests", token, runtime.engine.clock())
    answered = await runtime.engine.services.pagers.answer(claim.page_id, claim.action, "link")
    assert answered.ok
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None and stored.status is IncidentStatus.ACKNOWLEDGED


async def test_a_refused_group_and_app_fall_over_to_the_next_contact_method(
    aiohttp_server, robot_runtime, robot_folder, write_playbook, monkeypatch, smtp_server
) -> None:
    chat = await Chat.start("dingtalk", aiohttp_server)
    (robot_folder / "rota.yaml").write_text(
        ROTA.format(platform="dingtalk", address="manager0001"), encoding="utf-8"
    )
    monkeypatch.setenv("APP_SECRET", "not-the-app-secret")
    group = chat.channel("oncall-group", ("unknown-robot-token", "SECx"), monkeypatch)
    config = f"""
    plugins:
      dingtalk: {{base_url: "{chat.fake.url}", app: {APPS["dingtalk"][0]}}}
    channels:
      oncall-group: {{{group}}}
    pagers:
      links: {{secret_env: SURGE_TEST_LINK_SECRET}}
      dingtalk: {{type: dingtalk, channel: oncall-group}}
      email: {{}}
    """
    write_playbook("pb", "id: pb\ntitle: 在线客服故障\nsteps:\n  - {id: page, action: page, "
                   "with: {policy: oncall}}\n")  # fmt: skip
    runtime = await robot_runtime(config, PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    assert sorted(mail.recipients[0] for mail in smtp_server.received) == [
        "li.wei@example.test",
        "wang.fang@example.test",
    ]
    [failed] = [e for e in await runtime.store.timeline(incident.id) if e.kind == "page.failed"]
    assert failed.message == (
        "page to 李伟 by dingtalk failed: group oncall-group: dingtalk send: errcode 300001 "
        "token is not exist; direct message: dingtalk gettoken: errcode 40089 "
        "不合法的corpid或corpsecret; trying the next contact method"
    )
