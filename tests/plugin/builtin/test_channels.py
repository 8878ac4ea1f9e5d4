"""The channel actions with the built-in providers (webhook, email) against real servers:
config problems, failover, sending once, and the hotline's number flowing into a script."""

from __future__ import annotations

import sys
import textwrap

import pytest

from surge.config import parse_config
from surge.plugin.manager import PluginError, PluginManager
from surge.runtime import build_runtime
from surge.scripts.approval import approve
from surge.store.records import MessageState, RoomState

SECRET = "chsec-1b2c3d4e"
SCRIPT = """
id: hotline-open
title: Hotline open
vars: {number: {type: string, required: true}}
locales:
  zh-CN: "临时热线已开通：{{ number }}"
  en: "The temporary hotline is open: {{ number }}"
rules: {required: [number]}
"""


@pytest.fixture
def channel_config(tmp_path, config, receiver, smtp_server):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "hotline-open.yaml").write_text(SCRIPT, encoding="utf-8")

    def make(channels: str, extra: str = "") -> object:
        text = textwrap.dedent(f"""
            store: {config.store}
            playbooks: {config.playbooks}
            scripts: {{folder: {scripts}}}
            engine: {{lease: 1s, poll_interval: 20ms}}
            smtp: {{host: 127.0.0.1, port: {smtp_server.port}, security: none}}
            webhooks:
              room-hook: {{url: "{receiver.url}", secret: {SECRET}}}
              ivr: {{url: "{receiver.url}/ivr", secret: {SECRET}}}
        """)
        return parse_config(text + textwrap.dedent(channels) + textwrap.dedent(extra), "c.yaml")

    return make


CHANNELS = """
channels:
  room: {provider: webhook, target: room-hook, backup: room-mail}
  room-mail: {provider: email, to: [oncall@example.com, leads@example.com], locales: [en]}
"""


async def started(make_runtime, config):
    runtime = await make_runtime(config=config)
    await approve(runtime.store, runtime.scripts.get("hotline-open"), "ana", runtime.engine.clock())
    return runtime


def test_config_problems_name_the_place(channel_config):
    config = channel_config("""
        channels:
          a: {provider: webhook, target: nowhere, backup: b}
          b: {provider: email, to: [ops@example.com], colour: red}
          c: {provider: slak}
    """)
    assert config.channels["a"].backup == "b"
    problems = [str(problem) for problem in build_runtime(config, load_entry_points=False).problems]
    assert any("channels.a.target: no webhook target 'nowhere'" in p for p in problems), problems
    assert any(
        p.startswith("c.yaml:") and "unknown key 'colour' in channels.b" in p for p in problems
    )
    assert any("no channel provider 'slak' (installed: email, webhook)" in p for p in problems)
    assert len(problems) == 3


def test_backup_cycles_and_unknown_backups_are_config_errors(channel_config):
    from surge.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        channel_config("""
            channels:
              a: {provider: email, to: [a@example.com], backup: b}
              b: {provider: email, to: [b@example.com], backup: a}
              c: {provider: email, to: [c@example.com], backup: zz, locales: [fr]}
              Bad Name: {provider: email}
              e: {backup: a}
        """)
    found = "\n".join(str(problem) for problem in caught.value.problems)
    assert "channels.a.backup goes round in a circle: a -> b -> a" in found
    assert "channels.c.backup: no channel 'zz'" in found
    assert "each of channels.c.locales must be one of zh-CN, zh-TW, en; got 'fr'" in found
    assert "channels.Bad Name: a channel name is lowercase letters" in found
    assert "channels.e is missing required key 'provider'" in found


def test_two_plugins_may_not_offer_the_same_provider_type():
    from surge.channels.provider import ProviderType
    from surge.plugin import hookimpl

    class Again:
        name = "again"

        @hookimpl
        def surge_register_channel_providers(self):
            return [ProviderType("email", lambda config, check: None)]  # type: ignore[arg-type,return-value]

    manager = PluginManager(load_entry_points=False, extra=[Again()])
    with pytest.raises(PluginError, match="channel provider 'email' is already registered"):
        manager.channel_providers()


async def test_webhook_rooms_and_posts_are_signed_and_carry_the_steps_key(
    channel_config, receiver, write_playbook, make_runtime, wait_settled, verify_signature
):
    receiver.reply = lambda got: {"room": "R-7", "id": "M-1"} if got.path == "/hook" else {}
    write_playbook(
        "pb",
        """
        id: pb
        title: Webhook room
        steps:
          - {id: open, action: channel.open, with: {channel: room, name: war, topic: chat down}}
          - {id: say, action: channel.post, with: {channel: room, script: hotline-open,
             vars: {number: "400-1"}}}
          - {id: close, action: channel.close, with: {channel: room}}
    """,
    )
    runtime = await started(make_runtime, channel_config(CHANNELS))
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.status.value for run in runs] == ["succeeded"] * 3
    opened, posted, closed = (request.json() for request in receiver.requests)
    assert opened["event"] == "channel.open" and opened["name"] == "war"
    assert opened["topic"] == "chat down" and opened["incident"]["id"] == incident.id
    assert posted["room"] == "R-7" and posted["script"] == "hotline-open"
    assert posted["texts"] == [
        {"locale": "zh-CN", "text": "临时热线已开通：400-1"},
        {"locale": "en", "text": "The temporary hotline is open: 400-1"},
    ]
    assert closed == {"event": "channel.close", "channel": "room", "room": "R-7"}
    keys = [request.headers["Idempotency-Key"] for request in receiver.requests]
    assert keys[:2] == [f"{incident.id}:steps:open", f"{incident.id}:steps:say:room"]
    assert all(verify_signature(SECRET, r.headers, r.body) for r in receiver.requests)
    assert runs[1].result["ref"] == "M-1"


async def test_a_failing_webhook_falls_over_to_mail_and_a_rerun_sends_nothing_again(
    channel_config, receiver, write_playbook, make_runtime, wait_settled, smtp_server
):
    receiver.plan = [503]
    write_playbook(
        "pb",
        """
        id: pb
        title: Room down
        steps:
          - {id: say, action: channel.post, with: {channel: room, script: hotline-open,
             vars: {number: "400-2"}}}
    """,
    )
    runtime = await started(make_runtime, channel_config(CHANNELS))
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "succeeded" and run.result["delivered_to"] == "room-mail"
    [mail] = smtp_server.received
    assert sorted(mail.recipients) == ["leads@example.com", "oncall@example.com"]
    assert mail.text.strip() == "The temporary hotline is open: 400-2"  # room-mail wants en
    assert mail.message["References"].startswith(f"<surge-incident-{incident.id}@")
    stored = await runtime.store.channel_message(f"{incident.id}:steps:say")
    assert stored is not None and stored.state is MessageState.SENT
    assert stored.ref == mail.message["Message-ID"]
    kinds = [
        e.kind for e in await runtime.store.timeline(incident.id) if e.actor.startswith("channel:")
    ]
    assert kinds == ["channel.failover", "channel.failover"]

    # the same step again (as after a crash once it was done): found sent, nothing sent
    from surge.channels import posting

    async def compose(target, provider):
        raise AssertionError("a sent message is not rendered again")

    hub = runtime.engine.services.channels
    again = await posting.post(hub, incident, "room", f"{incident.id}:steps:say", compose)
    assert again.ref == stored.ref
    assert len(smtp_server.received) == 1 and len(receiver.requests) == 1


async def test_when_every_channel_refuses_the_step_fails_and_says_why(
    channel_config, receiver, write_playbook, make_runtime, wait_settled, smtp_server
):
    receiver.plan = [400]
    smtp_server.refuse(550)
    write_playbook(
        "pb",
        """
        id: pb
        title: All down
        steps:
          - {id: say, action: channel.post, with: {channel: room, script: hotline-open,
             vars: {number: "400-3"}}}
    """,
    )
    runtime = await started(make_runtime, channel_config(CHANNELS))
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status.value == "failed"
    assert run.error.startswith("no channel took the message: room (webhook): POST ")
    assert "room-mail (email): the SMTP server refused every recipient (550)" in run.error
    stored = await runtime.store.channel_message(f"{incident.id}:steps:say")
    assert stored is not None and stored.state is MessageState.FAILED


async def test_the_hotline_number_flows_into_the_script_and_the_hotline_closes(
    tmp_path, channel_config, receiver, write_playbook, make_runtime, wait_settled
):
    receiver.reply = lambda got: {"number": "400-820-8820"} if got.path.endswith("/ivr") else {}
    closer = tmp_path / "close.py"
    closer.write_text(
        "import os\nopen(os.environ['OUT'], 'w').write("
        "os.environ['SURGE_HOTLINE'] + ' ' + os.environ['SURGE_HOTLINE_NUMBER'])\n"
    )
    out = tmp_path / "closed.txt"
    extra = f"""
        commands:
          ivr-close: {{argv: ["{sys.executable}", "{closer}"], env: [OUT]}}
        hotlines:
          customer:
            open: {{webhook: ivr}}
            close: {{command: ivr-close}}
    """
    write_playbook(
        "pb",
        """
        id: pb
        title: Hotline
        steps:
          - {id: hotline, action: hotline.open}
          - {id: say, action: channel.post, with: {channel: room, script: hotline-open,
             vars: {number: "{{ steps.hotline.result.number }}"}}}
        on_resolve:
          - {id: hang-up, action: hotline.close, with: {hotline: customer}}
    """,
    )
    import os

    os.environ["OUT"] = str(out)
    try:
        runtime = await started(make_runtime, channel_config(CHANNELS, extra))
        incident = await runtime.engine.trigger("pb", {}, actor="test")
        runs = await wait_settled(runtime, incident.id)
        assert runs[0].result == {
            "hotline": "customer",
            "number": "400-820-8820",
            "state": "open",
            "again": False,
        }
        ivr, room = receiver.requests
        assert ivr.json()["event"] == "hotline.open"
        assert ivr.headers["Idempotency-Key"] == f"{incident.id}:steps:hotline:1"
        assert room.json()["texts"][1]["text"] == "The temporary hotline is open: 400-820-8820"
        from surge.store.records import IncidentStatus

        await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "test")
        runs = await wait_settled(runtime, incident.id)
        assert runs[-1].step_id == "hang-up" and runs[-1].status.value == "succeeded"
    finally:
        del os.environ["OUT"]
    assert out.read_text() == "customer 400-820-8820"
    record = await runtime.store.hotline(incident.id, "customer")
    assert record is not None and record.state is RoomState.CLOSED


def test_hotline_config_names_its_webhook_or_command(channel_config):
    from surge.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        channel_config(
            CHANNELS,
            """
            hotlines:
              a: {open: {webhook: nope}}
              b: {open: {webhook: ivr, command: x}}
              c: {number: "1", close: {command: y}}
        """,
        )
    found = "\n".join(str(problem) for problem in caught.value.problems)
    assert "hotlines.a: no webhook target 'nope' under webhooks:" in found
    assert "hotlines.b.open takes `webhook: TARGET` or `command: NAME`, one of them" in found
    assert "hotlines.c is missing required key 'open'" in found


async def test_a_step_on_an_unusable_channel_fails_with_the_reason(
    channel_config, write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Broken channel
        steps:
          - {id: say, action: channel.post, with: {channel: a, script: hotline-open,
             vars: {number: "1"}}}
          - {id: other, action: channel.post, with: {channel: nope, script: hotline-open,
             vars: {number: "1"}}}
    """,
    )
    config = channel_config("channels:\n  a: {provider: webhook, target: nowhere}\n")
    runtime = build_runtime(config, load_entry_points=False)
    assert [problem.message for problem in runtime.problems] == [
        "channels.a.target: no webhook target 'nowhere' under webhooks: (configured: ivr, "
        "room-hook)"
    ]
    await runtime.open()
    await runtime.start()
    try:
        hotline = runtime.scripts.get("hotline-open")
        assert hotline is not None
        await approve(runtime.store, hotline, "ana", runtime.engine.clock())
        incident = await runtime.engine.trigger("pb", {}, actor="test")
        [run] = await wait_settled(runtime, incident.id)
    finally:
        await runtime.close()
    assert run.status.value == "failed"
    assert run.error == (
        "channel 'a' is not usable: channels.a.target: no webhook target 'nowhere' under "
        "webhooks: (configured: ivr, room-hook)"
    )
