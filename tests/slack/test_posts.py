"""Posting scripts on Slack: the agents' broadcast pinned, updates, order under a 429 storm,
and a failed post that falls over to the e-mail backup."""

from __future__ import annotations

import asyncio

from surge.channels import posting
from surge.store.records import MessageState

BROADCAST = """
    id: complaints
    title: Complaint surge
    params: {service: {type: string, default: 在线客服}, hotline: {type: string, default: ""}}
    steps:
      - id: script
        action: script.activate
        with: {script: agents-update, vars: {service: "{{ params.service }}"}}
      - id: push
        action: channel.broadcast_script
        with: {channel: agents}
      - id: again
        action: channel.broadcast_script
      - id: hotline-script
        action: script.activate
        with: {script: agents-update, vars: {service: "{{ params.service }}", hotline: "400-800"}}
      - id: update
        action: channel.broadcast_script
"""


async def test_the_active_script_reaches_the_agents_channel_pinned_and_its_update_too(
    fake_slack, slack_runtime, write_playbook, wait_settled
):
    write_playbook("complaints", BROADCAST)
    runtime = await slack_runtime()
    incident = await runtime.engine.trigger("complaints", {}, actor="test")
    runs = {run.step_id: run for run in await wait_settled(runtime, incident.id)}
    assert {name: run.status.value for name, run in runs.items()} == dict.fromkeys(
        runs, "succeeded"
    )
    agents = fake_slack.by_name("cs-agents")
    first, update = agents.messages  # `again` found the same text: nothing new was posted
    texts = [block["text"]["text"] for block in first["blocks"] if block["type"] == "section"]
    assert texts == [  # the channel's locales, in its order
        "在线客服暂时无法使用，请引导客户拨打临时热线none yet。",
        "在线客服 is down; send customers to the temporary hotline none yet.",
    ]
    assert "400-800" in update["text"]
    assert agents.pins == [update["ts"]]  # the update is pinned, the first one unpinned
    assert [call.args["timestamp"] for call in fake_slack.calls_of("pins.add")] == [
        first["ts"],
        update["ts"],
    ]
    assert [call.args["timestamp"] for call in fake_slack.calls_of("pins.remove")] == [first["ts"]]
    assert runs["again"].result["unchanged"] is True
    assert runs["push"].result["pinned"] is True and runs["push"].result["room"] == agents.id
    assert first["metadata"]["event_payload"]["key"] == f"{incident.id}:steps:push:agents"


async def test_an_unapproved_script_is_not_sent(
    fake_slack, slack_runtime, write_playbook, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Post
        steps:
          - {id: say, action: channel.post, with: {channel: agents, script: agents-update,
             vars: {service: web}}}
        """,
    )
    runtime = await slack_runtime(approved=False)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "failed"
    assert "script 'agents-update' is not approved" in (run.error or "")
    assert fake_slack.by_name("cs-agents").messages == []
    message = await runtime.store.channel_message(f"{incident.id}:steps:say")
    assert message is not None and message.state is MessageState.FAILED


async def test_a_429_storm_keeps_the_order_of_messages(fake_slack, slack_runtime, write_playbook):
    write_playbook("pb", "id: pb\ntitle: P\nsteps:\n  - {action: log, with: {message: x}}\n")
    runtime = await slack_runtime(extra="")
    hub = runtime.engine.services.channels
    assert hub is not None and runtime.engine.services.scripts is not None
    scripts = runtime.engine.services.scripts
    incidents = [await runtime.engine.trigger("pb", {}, actor="test") for _ in range(6)]
    fake_slack.rate_limit("chat.postMessage", times=4, retry_after=0)

    def compose_for(number: int) -> posting.Compose:
        async def compose(target, provider):
            from surge.channels.messages import render_script

            script, texts = await render_script(
                scripts, "agents-update", {"service": f"svc-{number}"}, ["en"], provider.medium
            )
            return script.id, texts

        return compose

    sends = [
        posting.post(hub, incident, "agents", f"{incident.id}:steps:storm", compose_for(n))
        for n, incident in enumerate(incidents)
    ]
    records = await asyncio.gather(*sends)
    assert all(record.state is MessageState.SENT for record in records)
    arrived = [
        message["text"].split(" ")[0] for message in fake_slack.by_name("cs-agents").messages
    ]
    assert arrived == [f"svc-{n}" for n in range(6)]
    assert len(fake_slack.calls_of("chat.postMessage")) == 6 + 4  # every 429 retried


async def test_a_failed_slack_post_falls_over_to_the_email_backup(
    fake_slack, slack_runtime, write_playbook, wait_settled, smtp_server
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Web chat down
        steps:
          - {id: tell, action: channel.post, with: {channel: agents, script: agents-update,
             vars: {service: Web chat, hotline: 400-820}}}
        """,
    )
    runtime = await slack_runtime()
    fake_slack.fail("chat.postMessage", "channel_not_found")
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded", run.error
    assert run.result["delivered_to"] == "agents-mail" and run.result["failed_over"] is True
    [mail] = smtp_server.received  # taken before the step succeeded
    assert mail.recipients == ["agents@example.com"]
    assert mail.message["Subject"] == f"[surge #{incident.id}] Web chat down"
    assert "Web chat暂时无法使用，请引导客户拨打临时热线400-820。" in mail.text
    assert "send customers to the temporary hotline 400-820." in mail.text
    notes = [
        e.message
        for e in await runtime.store.timeline(incident.id)
        if e.kind.startswith("channel.")
    ]
    assert notes == [
        "agents (slack) did not take the message: Slack chat.postMessage: channel_not_found; "
        "trying agents-mail (email)",
        "agents: the message went to the backup channel agents-mail (email)",
    ]
    assert fake_slack.by_name("cs-agents").messages == []
