"""The three chat robot plugins against local servers that speak their platforms'
webhook formats: the same tests, run on WeCom, DingTalk and Feishu."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from importlib import metadata

import pytest
import surge_dingtalk.plugin
import surge_feishu.plugin
import surge_wecom.plugin
from support.robots import FIRST_ROBOT, SECOND_ROBOT, Chat, channel_notes, utf8_len

from surge.channels import posting
from surge.channels.messages import render_script
from surge.store.records import MessageState

PLATFORMS = ("wecom", "dingtalk", "feishu")
PLUGINS = [surge_wecom.plugin, surge_dingtalk.plugin, surge_feishu.plugin]
MENTIONED = {  # on shift (李伟, 王芳) and the team's lead (陳傑), as each platform names them
    "wecom": {"liwei", "13800000002", "chenjie"},
    "dingtalk": {"manager0001", "13800000002", "manager0003"},
    "feishu": {"ou_7d8a6e6df7621556ce0d21922b676706", "ou_c3f0d9e1a2b3c4d5e6f7a8b9c0d1e2f3"},
}
NOTICE_VARS = (
    '{service: 在线客服, impact: 无法接入人工客服, eta: "15:30", workaround: 拨打 400-820-8820}'
)
ROOM = "group: 故障应急群, mention: [{on_shift: cs}, {lead: cs}], locales: [zh-CN, zh-TW]"


def config(chat: Chat, monkeypatch, room=FIRST_ROBOT, room_extra: str = ROOM) -> str:
    incident_room = chat.channel("incident-room", room[chat.name], monkeypatch)
    agents = chat.channel("agents", SECOND_ROBOT[chat.name], monkeypatch)
    return (
        chat.plugin_section()
        + f"""
channels:
  incident-room: {{{incident_room}, {room_extra}, backup: room-mail}}
  agents: {{{agents}, locales: [zh-TW]}}
  room-mail: {{provider: email, to: [oncall@example.test]}}
"""
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_plugin_is_its_own_distribution_with_a_surge_entry_point(platform: str) -> None:
    points = {point.name: point for point in metadata.entry_points(group="surge")}
    assert points[platform].value == f"surge_{platform}.plugin"
    dist = points[platform].dist
    assert dist is not None and dist.name == f"surge-{platform}"


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_notice_and_the_script_reach_the_groups_with_the_on_call_mentioned(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    chat = await Chat.start(platform, aiohttp_server)
    write_playbook(
        "outage",
        f"""
        id: outage
        title: 在线客服故障
        steps:
          - {{id: room, action: channel.open, with: {{channel: incident-room, name: outage}}}}
          - {{id: notice, action: channel.post, with: {{channel: incident-room,
             script: outage-initial, vars: {NOTICE_VARS}}}}}
          - {{id: script, action: script.activate, with: {{script: complaint-holding,
             vars: {{ticket: T-1024, hours: 24}}}}}}
          - {{id: push, action: channel.broadcast_script, with: {{channel: agents}}}}
        """,
    )
    runtime = await robot_runtime(config(chat, monkeypatch), PLUGINS)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    runs = {run.step_id: run for run in await wait_settled(runtime, incident.id)}
    assert {name: run.status.value for name, run in runs.items()} == dict.fromkeys(
        runs, "succeeded"
    ), {name: run.error for name, run in runs.items()}
    room = chat.shown("incident-room")
    summary, notice = room[0], room[1]
    assert (
        f"事件摘要 #{incident.id} 在线客服故障" in summary.text and "状态: 已触发" in summary.text
    )
    assert summary.mentions == ()
    # zh-CN and zh-TW as the script has them, character for character
    assert (
        "【在线客服故障通知】在线客服出现异常：无法接入人工客服。技术团队正在全力处理"
        in notice.text
    )
    assert (
        "【在线客服異常通知】在线客服出現異常：无法接入人工客服。技術團隊正在全力處理"
        in notice.text
    )
    assert {m for shown in room[1:] for m in shown.mentions} == MENTIONED[platform]
    [broadcast] = chat.shown("agents")
    assert "📌 统一口径" in broadcast.text
    assert "您好，您的意見已收到（案件編號T-1024），我們將在24小時內回覆您。" in broadcast.text
    assert broadcast.mentions == ()  # the agents' channel mentions nobody
    assert runs["room"].result["name"] == "故障应急群"
    timeline = str(await runtime.store.timeline(incident.id))
    for secret in (*FIRST_ROBOT[platform], *SECOND_ROBOT[platform]):
        assert not secret or secret not in timeline


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_wrong_signature_is_refused_and_the_post_falls_over_to_e_mail(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch, smtp_server
) -> None:
    chat = await Chat.start(platform, aiohttp_server)
    token, secret = FIRST_ROBOT[platform]
    wrong = {**FIRST_ROBOT, platform: (token, "SECnot-the-robots-secret-000") if secret else
             ("not-the-robots-key-0000", "")}  # fmt: skip
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
    runtime = await robot_runtime(config(chat, monkeypatch, room=wrong), PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    assert run.result["delivered_to"] == "room-mail" and run.result["failed_over"] is True
    [refusal] = chat.fake.refused
    assert refusal.code == {"wecom": 93000, "dingtalk": 310000, "feishu": 19021}[platform]
    assert chat.fake.messages == {}
    [mail] = smtp_server.received
    assert "【在线客服故障通知】" in mail.text and "【在线客服異常通知】" in mail.text
    failed, delivered = await channel_notes(runtime, incident.id)
    assert failed.startswith(
        f"incident-room ({platform}) did not take the message: {platform} send: errcode "
        f"{refusal.code} {refusal.message}"
    )
    assert failed.endswith("; trying room-mail (email)")
    assert delivered == "incident-room: the message went to the backup channel room-mail (email)"
    timeline = str(await runtime.store.timeline(incident.id))
    assert all(value not in timeline for value in wrong[platform] if value)


async def _storm(runtime, count: int):
    """``count`` posts to incident-room at once, each of its own incident, in order."""
    hub = runtime.engine.services.channels
    scripts = runtime.engine.services.scripts
    incidents = [await runtime.engine.trigger("pb", {}, actor="test") for _ in range(count)]

    def compose_for(number: int) -> posting.Compose:
        async def compose(target, provider):
            variables = {"ticket": f"T-{number}", "hours": 24}
            script, texts = await render_script(
                scripts, "complaint-holding", variables, ["zh-CN"], provider.medium
            )
            return script.id, texts

        return compose

    records = await asyncio.gather(
        *(
            posting.post(hub, incident, "incident-room", f"{incident.id}:storm", compose_for(n))
            for n, incident in enumerate(incidents)
        )
    )
    notes = [note for incident in incidents for note in await channel_notes(runtime, incident.id)]
    return [record.state for record in records], notes


def _tickets(chat: Chat) -> list[str]:
    texts = [shown.text for shown in chat.shown("incident-room")]
    return [text.split("工单号")[1].split("）")[0] for text in texts if "工单号" in text]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_the_rate_limit_holds_messages_back_in_order_and_says_so(
    platform, aiohttp_server, robot_runtime, write_playbook, monkeypatch
) -> None:
    chat = await Chat.start(platform, aiohttp_server, limit=2, per=1.0)
    write_playbook("pb", "id: pb\ntitle: P\nsteps:\n  - {action: log, with: {message: x}}\n")
    extra = "rate_limit: {count: 2, per: 1s}"
    runtime = await robot_runtime(config(chat, monkeypatch, room_extra=extra), PLUGINS)
    states, notes = await _storm(runtime, 5)
    assert states == [MessageState.SENT] * 5
    assert _tickets(chat) == [f"T-{n}" for n in range(5)]
    assert chat.fake.refused == []  # the queue kept under the platform's limit
    held = [n for n in notes if "2 messages in 1s reached; holding a message" in n]
    assert held and all(n.startswith(f"incident-room ({platform}): ") for n in held), notes


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_rate_limit_answer_is_waited_out_and_the_order_kept(
    platform, aiohttp_server, robot_runtime, write_playbook, monkeypatch
) -> None:
    # 2 s windows: the storm's first three sends fall in one even on a busy machine
    chat = await Chat.start(platform, aiohttp_server, limit=2, per=2.0)
    write_playbook("pb", "id: pb\ntitle: P\nsteps:\n  - {action: log, with: {message: x}}\n")
    extra = "rate_limit: {count: 10, per: 2s}"  # more than the platform takes
    runtime = await robot_runtime(config(chat, monkeypatch, room_extra=extra), PLUGINS)
    states, notes = await _storm(runtime, 4)
    assert states == [MessageState.SENT] * 4
    assert _tickets(chat) == [f"T-{n}" for n in range(4)]
    code = {"wecom": 45009, "dingtalk": 130101, "feishu": 11232}[platform]
    assert {refusal.code for refusal in chat.fake.refused} == {code}
    assert any(f"refused a message for its rate limit ({platform} send: errcode {code}" in n
               for n in notes), notes  # fmt: skip


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_long_notice_is_split_without_breaking_a_character_or_markdown(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    chat = await Chat.start(platform, aiohttp_server)
    limit = {"wecom": 4096, "dingtalk": 18000, "feishu": 18000}[platform]
    impact = "网页端和App均无法登录，部分用户无法查询订单、提交售后或联系人工客服；" * (
        limit // 100
    )
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
    runtime = await robot_runtime(config(chat, monkeypatch), PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    shown = [item for item in chat.shown("incident-room") if "第 " in item.text]
    total = len(shown)
    assert total >= 2 and chat.fake.refused == []
    assert all(utf8_len(item.text) <= limit for item in shown)
    assert shown[0].mentions and all(not item.mentions for item in shown[1:])
    labels = [f"（第 {n}/{total} 段）" for n in range(1, total + 1)]
    assert all(label in item.text for item, label in zip(shown, labels, strict=True))
    joined = "".join(item.text.split(label)[0] for item, label in zip(shown, labels, strict=True))
    assert "".join(joined.split()).count("".join(impact.split())) == 2  # zh-CN and zh-TW whole
    assert "**" not in joined or joined.count("**") % 2 == 0  # no bold cut open


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_the_summary_is_posted_again_only_when_its_top_changes_naming_the_earlier_one(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    from support.paging import wait_for_run

    from surge.store.records import IncidentStatus, RunStatus

    chat = await Chat.start(platform, aiohttp_server)
    write_playbook(
        "pb",
        """
        id: pb
        title: 在线客服故障
        steps:
          - {id: room, action: channel.open, with: {channel: incident-room, name: outage}}
          - {id: note, action: log, with: {message: 第一步完成}}
          - {id: ack, action: wait, with: {until: acknowledged, timeout: 1m}}
          - {id: after, action: log, with: {message: 已确认}}
        on_resolve:
          - {id: bye, action: channel.close, with: {channel: incident-room}}
        """,
    )
    runtime = await robot_runtime(config(chat, monkeypatch), PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_for_run(runtime, incident.id, "ack", RunStatus.WAITING)
    assert len(chat.shown("incident-room")) == 1  # the steps since changed no status
    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "cli:lead")
    await wait_settled(runtime, incident.id)
    from support import waiting

    # the summary is redrawn by the status hook, in the background
    await waiting.eventually(lambda: len(chat.shown("incident-room")) == 2, what="the update")
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "cli:lead")
    await wait_for_run(runtime, incident.id, "bye", RunStatus.SUCCEEDED)
    first, acknowledged, resolved = (shown.text for shown in chat.shown("incident-room"))
    assert "状态: 已触发" in first and "更新第" not in first
    assert acknowledged.startswith("更新第 1 条摘要（") and "状态: 已确认" in acknowledged
    assert resolved.startswith("更新第 2 条摘要（") and "状态: 已解决" in resolved
    assert "第一步完成" in acknowledged  # the latest timeline lines come along


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_published_notice_and_its_update_reach_the_group_as_new_messages(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    chat = await Chat.start(platform, aiohttp_server)
    vars_ = "vars: {service: 在线客服, impact: 无法发起会话, eta: '15:30', workaround: 拨打热线}"
    write_playbook(
        "pb",
        f"""
        id: pb
        title: 在线客服故障
        steps:
          - {{id: notice, action: notice.publish, with: {{script: outage-initial,
             state: investigating, components: {{web-chat: major_outage}}, {vars_}}}}}
          - {{id: identified, action: notice.update, with: {{script: outage-initial,
             state: identified, {vars_}}}}}
        """,
    )
    room = f"{ROOM}, notices: published"
    components = (
        "components:\n  - {id: web-chat, name: {zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}}\n"
    )
    runtime = await robot_runtime(config(chat, monkeypatch, room_extra=room) + components, PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert all(run.status.value == "succeeded" for run in runs), [r.error for r in runs]

    def notices():
        found = chat.shown("incident-room")
        return [shown for shown in found if "surge · 状态通知 #" in shown.text]

    from support import waiting

    await waiting.eventually(lambda: len(notices()) == 2, what="both versions in the group")
    first, update = notices()
    assert "【在线客服故障通知】在线客服出现异常：无法发起会话。" in first.text
    assert "状态通知 #1 · 调查中" in first.text
    assert {m for shown in notices() for m in shown.mentions} <= MENTIONED[platform]
    assert update.text.startswith("通知更新：第 2 版，取代第 1 版")
    assert "状态通知 #1 · 已查明原因" in update.text

    async def shown() -> list[str]:
        entries = await runtime.store.timeline(incident.id)
        return [e.message for e in entries if e.kind == "channel.notice"]

    await waiting.eventually(lambda: _two(shown()), what="both versions noted")
    first_note, second_note = await shown()
    assert first_note.endswith("notice 1 version 1 shown (published)")
    assert second_note.endswith("notice 1 version 2 shown (published)")


async def _two(found: Awaitable[list[str]]) -> bool:
    return len(await found) == 2


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_the_on_call_people_a_room_invites_are_mentioned_in_its_first_summary(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    chat = await Chat.start(platform, aiohttp_server)
    write_playbook(
        "pb",
        """
        id: pb
        title: 在线客服故障
        steps:
          - {id: room, action: channel.open, with: {channel: incident-room, name: outage,
             invite_oncall: cs}}
        """,
    )
    runtime = await robot_runtime(config(chat, monkeypatch, room_extra="group: 值班群"), PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    summary = chat.shown("incident-room")
    on_shift = {  # 李伟 and 王芳, as each platform can name them
        "wecom": {"liwei", "13800000002"},
        "dingtalk": {"manager0001", "13800000002"},
        "feishu": {"ou_7d8a6e6df7621556ce0d21922b676706"},
    }[platform]
    assert {m for shown in summary for m in shown.mentions} == on_shift
    [invited] = [e.message for e in await runtime.store.timeline(incident.id)
                 if e.kind == "channel.invited"]  # fmt: skip
    if platform == "feishu":  # Feishu mentions by open_id only, and 王芳 has none
        assert invited == (
            "incident-room: invited the on-call people: 李伟; not 王芳: no id for them on feishu"
        )
    else:
        assert invited == "incident-room: invited the on-call people: 李伟, 王芳"


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_someone_paged_after_the_room_opened_is_mentioned_there_as_an_invitation(
    platform, aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    from surge.channels.rooms import invite_paged

    chat = await Chat.start(platform, aiohttp_server)
    write_playbook(
        "pb",
        """
        id: pb
        title: 在线客服故障
        steps:
          - {id: room, action: channel.open, with: {channel: incident-room, name: outage,
             invite_oncall: cs}}
        """,
    )
    runtime = await robot_runtime(config(chat, monkeypatch, room_extra="group: 值班群"), PLUGINS)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_settled(runtime, incident.id)
    rota = runtime.engine.services.rota
    hub = runtime.engine.services.channels
    assert rota is not None and hub is not None
    before = len(chat.shown("incident-room"))
    await invite_paged(hub, incident.id, [rota.people["chen-jie"]])  # the lead, paged later
    [invitation] = chat.shown("incident-room")[before:]
    assert invitation.text.startswith("陳傑：已呼叫您处理此事件，请在本群协同。")
    lead = {"wecom": "chenjie", "dingtalk": "manager0003"}
    assert invitation.mentions == (lead.get(platform, "ou_c3f0d9e1a2b3c4d5e6f7a8b9c0d1e2f3"),)
    notes = [e.message for e in await runtime.store.timeline(incident.id)
             if e.kind == "channel.invited"]  # fmt: skip
    assert notes[-1] == "incident-room: invited the on-call people: 陳傑"
