"""plugins/wecom against a local server speaking WeCom's group-robot and app APIs."""

from __future__ import annotations

import asyncio
from importlib import metadata

import surge_wecom.plugin
from support.robots import WECOM_KEY, FakeWeCom, channel_notes, utf8_len

from surge.channels import posting
from surge.channels.messages import render_script
from surge.store.records import MessageState

AGENTS_KEY = "0f3e2c1b-agents-robot-key"
NOTICE_VARS = (
    '{service: 在线客服, impact: 无法接入人工客服, eta: "15:30", workaround: 拨打 400-820-8820}'
)


def channels(url: str, extra: str = "") -> str:
    return f"""
    plugins:
      wecom: {{base_url: "{url}"}}
    channels:
      incident-room:
        provider: wecom
        webhook_key_env: WECOM_ROOM_KEY
        group: 故障应急群
        mention: [{{on_shift: cs}}, {{lead: cs}}]
        locales: [zh-CN, zh-TW]
        backup: room-mail
        {extra}
      agents: {{provider: wecom, webhook_key_env: WECOM_AGENTS_KEY, locales: [zh-CN]}}
      room-mail: {{provider: email, to: [oncall@example.test]}}
    """


PLAYBOOK = f"""
id: outage
title: 在线客服故障
steps:
  - {{id: room, action: channel.open, with: {{channel: incident-room, name: outage}}}}
  - {{id: notice, action: channel.post, with: {{channel: incident-room, script: outage-initial,
     vars: {NOTICE_VARS}}}}}
  - {{id: script, action: script.activate, with: {{script: complaint-holding,
     vars: {{ticket: T-1024, hours: 24}}}}}}
  - {{id: push, action: channel.broadcast_script, with: {{channel: agents}}}}
"""


def test_the_plugin_is_its_own_distribution_with_a_surge_entry_point() -> None:
    points = {point.name: point for point in metadata.entry_points(group="surge")}
    assert points["wecom"].value == "surge_wecom.plugin"
    assert points["wecom"].dist is not None and points["wecom"].dist.name == "surge-wecom"


async def test_a_notice_and_the_script_reach_the_groups_with_the_on_call_mentioned(
    aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    wecom = await FakeWeCom.start(aiohttp_server, keys={WECOM_KEY, AGENTS_KEY})
    monkeypatch.setenv("WECOM_ROOM_KEY", WECOM_KEY)
    monkeypatch.setenv("WECOM_AGENTS_KEY", AGENTS_KEY)
    write_playbook("outage", PLAYBOOK)
    runtime = await robot_runtime(channels(wecom.url), [surge_wecom.plugin])
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    runs = {run.step_id: run for run in await wait_settled(runtime, incident.id)}
    assert {name: run.status.value for name, run in runs.items()} == dict.fromkeys(
        runs, "succeeded"
    ), {name: run.error for name, run in runs.items()}
    summary, notice = wecom.markdown()[:2]
    assert summary.startswith(f"**事件摘要 #{incident.id} 在线客服故障**\n状态: 已触发")
    assert "【在线客服故障通知】在线客服出现异常：无法接入人工客服。" in notice  # zh-CN intact
    assert "【在线客服異常通知】在线客服出現異常：无法接入人工客服。技術團隊正在全力處理" in notice
    assert notice.endswith("<@liwei> <@chenjie>")  # on shift and the team's lead, by user id
    room = wecom.messages[WECOM_KEY]
    [mobile] = [body for body in room if body["msgtype"] == "text"]  # 王芳 has only a mobile
    assert mobile["text"]["mentioned_mobile_list"] == ["13800000002"]
    assert room.index(mobile) == room.index(next(b for b in room if b is not mobile and
                                              "通知" in b["markdown"]["content"])) + 1  # fmt: skip
    [broadcast] = wecom.markdown(AGENTS_KEY)
    assert broadcast.startswith("**📌 统一口径**\n\n您好，您的反馈已收到（工单号T-1024）")
    assert runs["notice"].result["delivered_to"] == "incident-room"
    assert runs["room"].result["name"] == "故障应急群"
    assert WECOM_KEY not in str(await runtime.store.timeline(incident.id))


async def test_a_wrong_key_is_refused_and_the_post_falls_over_to_e_mail(
    aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch, smtp_server
) -> None:
    wecom = await FakeWeCom.start(aiohttp_server)
    monkeypatch.setenv("WECOM_ROOM_KEY", "not-the-robots-key-0000")
    monkeypatch.setenv("WECOM_AGENTS_KEY", AGENTS_KEY)
    write_playbook(
        "pb",
        f"""
        id: pb
        title: 在线客服故障
        steps:
          - {{id: notice, action: channel.post, with: {{channel: incident-room,
             script: outage-initial, vars: {NOTICE_VARS}}}}}
        """,
    )
    runtime = await robot_runtime(channels(wecom.url), [surge_wecom.plugin])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    assert run.result["delivered_to"] == "room-mail" and run.result["failed_over"] is True
    assert [refusal.code for refusal in wecom.refused] == [93000]
    assert wecom.messages == {}
    [mail] = smtp_server.received
    assert "【在线客服故障通知】" in mail.text and "【在线客服異常通知】" in mail.text
    notes = await channel_notes(runtime, incident.id)
    assert notes == [
        "incident-room (wecom) did not take the message: wecom send: errcode 93000 invalid "
        "webhook url, hint: [1700000000_1]; trying room-mail (email)",
        "incident-room: the message went to the backup channel room-mail (email)",
    ]
    assert "not-the-robots-key-0000" not in str(await runtime.store.timeline(incident.id))


async def _storm(runtime, count: int):
    """``count`` posts to incident-room at once, each of its own incident."""
    hub = runtime.engine.services.channels
    scripts = runtime.engine.services.scripts
    incidents = [await runtime.engine.trigger("pb", {}, actor="test") for _ in range(count)]

    def compose_for(number: int) -> posting.Compose:
        async def compose(target, provider):
            script, texts = await render_script(
                scripts,
                "complaint-holding",
                {"ticket": f"T-{number}", "hours": 24},
                ["zh-CN"],
                provider.medium,
            )
            return script.id, texts

        return compose

    records = await asyncio.gather(
        *(
            posting.post(hub, incident, "incident-room", f"{incident.id}:storm", compose_for(n))
            for n, incident in enumerate(incidents)
        )
    )
    return [record.state for record in records], incidents


def _tickets(wecom: FakeWeCom) -> list[str]:
    return [text.split("工单号")[1].split("）")[0] for text in wecom.markdown() if "工单号" in text]


async def test_the_rate_limit_holds_messages_back_in_order_and_says_so(
    aiohttp_server, robot_runtime, write_playbook, monkeypatch
) -> None:
    wecom = await FakeWeCom.start(aiohttp_server, limit=2, per=1.0)
    monkeypatch.setenv("WECOM_ROOM_KEY", WECOM_KEY)
    monkeypatch.setenv("WECOM_AGENTS_KEY", AGENTS_KEY)
    write_playbook("pb", "id: pb\ntitle: P\nsteps:\n  - {action: log, with: {message: x}}\n")
    extra = "rate_limit: {count: 2, per: 1s}\n        mention: []"
    runtime = await robot_runtime(
        channels(wecom.url, extra).replace("        mention: [{on_shift: cs}, {lead: cs}]\n", ""),
        [surge_wecom.plugin],
    )
    states, incidents = await _storm(runtime, 5)
    assert states == [MessageState.SENT] * 5
    assert _tickets(wecom) == [f"T-{n}" for n in range(5)]
    assert wecom.refused == []  # the queue kept under WeCom's limit: no 45009 came back
    held = [note for i in incidents for note in await channel_notes(runtime, i.id)]
    assert any(
        note.startswith("incident-room (wecom): 2 messages in 1s reached; holding a message")
        for note in held
    ), held


async def test_a_45009_answer_is_waited_out_and_the_order_kept(
    aiohttp_server, robot_runtime, write_playbook, monkeypatch
) -> None:
    wecom = await FakeWeCom.start(aiohttp_server, limit=2, per=1.0)
    monkeypatch.setenv("WECOM_ROOM_KEY", WECOM_KEY)
    monkeypatch.setenv("WECOM_AGENTS_KEY", AGENTS_KEY)
    write_playbook("pb", "id: pb\ntitle: P\nsteps:\n  - {action: log, with: {message: x}}\n")
    extra = "rate_limit: {count: 10, per: 1s}\n        mention: []"  # more than WeCom takes
    runtime = await robot_runtime(
        channels(wecom.url, extra).replace("        mention: [{on_shift: cs}, {lead: cs}]\n", ""),
        [surge_wecom.plugin],
    )
    states, incidents = await _storm(runtime, 4)
    assert states == [MessageState.SENT] * 4
    assert _tickets(wecom) == [f"T-{n}" for n in range(4)]
    assert {refusal.code for refusal in wecom.refused} == {45009}
    held = [note for i in incidents for note in await channel_notes(runtime, i.id)]
    assert any("refused a message for its rate limit (wecom send: errcode 45009" in n for n in held)


async def test_a_long_notice_is_split_within_4096_bytes_without_breaking_a_character(
    aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    wecom = await FakeWeCom.start(aiohttp_server)
    monkeypatch.setenv("WECOM_ROOM_KEY", WECOM_KEY)
    monkeypatch.setenv("WECOM_AGENTS_KEY", AGENTS_KEY)
    impact = "网页端和App均无法登录，部分用户无法查询订单、提交售后或联系人工客服；" * 60
    write_playbook(
        "pb",
        f"""
        id: pb
        title: 在线客服故障
        steps:
          - {{id: notice, action: channel.post, with: {{channel: incident-room,
             script: outage-initial, vars: {{service: 在线客服, impact: "{impact}",
             eta: "15:30", workaround: 拨打 400-820-8820}}}}}}
        """,
    )
    runtime = await robot_runtime(channels(wecom.url), [surge_wecom.plugin])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    parts = wecom.markdown()
    assert len(parts) >= 3 and wecom.refused == []
    assert all(utf8_len(part) <= 4096 for part in parts)
    assert parts[0].count("<@liwei>") == 1 and all("<@" not in part for part in parts[1:])
    mention = "\n\n<@liwei> <@chenjie>"
    assert parts[0].endswith(mention)
    bodies = [part.removesuffix(mention) for part in parts]
    labels = [f"\n（第 {n}/{len(parts)} 段）" for n in range(1, len(parts) + 1)]
    assert all(body.endswith(label) for body, label in zip(bodies, labels, strict=True))
    joined = "".join(body.removesuffix(label) for body, label in zip(bodies, labels, strict=True))
    assert "".join(joined.split()).count("".join(impact.split())) == 2  # zh-CN and zh-TW whole


PAGER = """
plugins:
  wecom:
    base_url: "{url}"
    app: {{corp_id: {corp}, secret_env: WECOM_APP_SECRET, agent_id: {agent}}}
channels:
  oncall-group: {{provider: wecom, webhook_key_env: WECOM_ROOM_KEY, group: 值班群}}
pagers:
  links: {{secret_env: SURGE_TEST_LINK_SECRET, ttl: 30m}}
  wecom: {{type: wecom, channel: oncall-group}}
  email: {{}}
"""


async def test_a_page_mentions_the_person_in_the_group_and_writes_to_them_with_the_ack_link(
    aiohttp_server, robot_runtime, write_playbook, monkeypatch, smtp_server
) -> None:
    from support.paging import wait_for_run
    from support.robots import WECOM_AGENT, WECOM_CORP, WECOM_SECRET

    from surge.store.records import RunStatus

    wecom = await FakeWeCom.start(aiohttp_server)
    monkeypatch.setenv("WECOM_ROOM_KEY", WECOM_KEY)
    monkeypatch.setenv("WECOM_APP_SECRET", WECOM_SECRET)
    write_playbook("pb", "id: pb\ntitle: 在线客服故障\nsteps:\n  - {id: page, action: page, "
                   "with: {policy: oncall}}\n")  # fmt: skip
    pagers = PAGER.format(url=wecom.url, corp=WECOM_CORP, agent=WECOM_AGENT)
    runtime = await robot_runtime(pagers, [surge_wecom.plugin])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    [group] = wecom.markdown()
    assert group.startswith(f"【surge 呼叫】在线客服故障（事件 {incident.id}）")
    assert "请点击确认：http://surge.example.test/page/" in group
    assert group.endswith("<@liwei>")
    [direct] = wecom.direct
    assert direct["touser"] == "liwei" and direct["agentid"] == WECOM_AGENT
    assert direct["enable_duplicate_check"] == 1
    link = group.split("请点击确认：")[1].split()[0]
    assert link in direct["text"]["content"]  # the same signed acknowledge link
    [mail] = smtp_server.received  # 王芳 has no WeCom contact: e-mail
    assert mail.recipients == ["wang.fang@example.test"]
    sent = [e for e in await runtime.store.timeline(incident.id) if e.kind == "page.sent"]
    assert sent[0].message.startswith("paged 李伟 by wecom (liwei)")
    assert sent[0].data["result"]["group"] == "oncall-group"
    assert sent[0].data["result"]["direct"] == "liwei"
    timeline = str(await runtime.store.timeline(incident.id))
    assert WECOM_SECRET not in timeline and WECOM_KEY not in timeline
