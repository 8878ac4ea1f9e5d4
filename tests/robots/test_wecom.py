"""What only WeCom does: people known only by a mobile number are mentioned by a text
message right after the markdown one (WeCom's markdown cannot mention by mobile)."""

from __future__ import annotations

import surge_wecom.plugin
from support.robots import WECOM_KEY, FakeWeCom


async def test_a_mobile_only_person_is_mentioned_by_the_text_message_after_the_post(
    aiohttp_server, robot_runtime, write_playbook, wait_settled, monkeypatch
) -> None:
    wecom = await FakeWeCom.start(aiohttp_server)
    monkeypatch.setenv("WECOM_ROOM_KEY", WECOM_KEY)
    write_playbook(
        "pb",
        """
        id: pb
        title: 在线客服故障
        steps:
          - {id: say, action: channel.post, with: {channel: room, script: complaint-holding,
             vars: {ticket: T-7}}}
        """,
    )
    config = f"""
    plugins: {{wecom: {{base_url: "{wecom.url}"}}}}
    channels:
      room: {{provider: wecom, webhook_key_env: WECOM_ROOM_KEY, mention: [{{on_shift: cs}}],
              locales: [zh-CN]}}
    """
    runtime = await robot_runtime(config, [surge_wecom.plugin])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    post, mobile = wecom.messages[WECOM_KEY]
    assert post["msgtype"] == "markdown"
    assert post["markdown"]["content"].endswith("\n\n<@liwei>")  # 李伟 by user id
    assert mobile == {
        "msgtype": "text",
        "text": {
            "content": f"事件 #{incident.id} 在线客服故障",
            "mentioned_mobile_list": ["13800000002"],  # 王芳 by mobile only
        },
    }
