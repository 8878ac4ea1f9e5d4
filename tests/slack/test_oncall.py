"""The rota on Slack: the on-call people invited into a room, Slack users found among the
rota's people with the roles their rota roles give, and ``/surge who``."""

from __future__ import annotations

import pytest
import surge_slack.plugin
from support.slack import BOT, PEOPLE, RESPONDER, command_body, signed

from surge.store.records import RunStatus
from surge.web.app import create_app
from surge.web.keys import RUNTIME

ONCALL_ROOM = """
    id: outage
    title: Web chat down
    params: {team: {type: string, default: cs}}
    steps:
      - id: room
        action: channel.open
        with: {channel: incident-room, name: outage, invite_oncall: "{{ params.team }}"}
"""
COMMANDS = "/api/v1/slack/commands"
TRIGGER = """
    id: system-outage
    title: Service channel outage
    triggers: [{manual: {roles: [responder]}}]
    steps: [{id: note, action: log, with: {message: opened}}]
"""


async def test_a_room_invites_who_is_on_call_by_their_slack_ids_from_the_rota(
    fake_slack, slack_runtime, write_playbook, wait_settled, with_rota
):
    write_playbook("outage", ONCALL_ROOM)
    runtime = await slack_runtime(extra=with_rota)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_settled(runtime, incident.id)
    room = fake_slack.by_name(f"inc-{incident.id}-outage")
    # the binding's people and group, then Ann and bo, by their slack contact methods
    [invite] = fake_slack.calls_of("conversations.invite")
    assert invite.args["users"] == f"{RESPONDER},U0GRP001,U0GRP002,{PEOPLE['ann']},{PEOPLE['bo']}"
    assert {PEOPLE["ann"], PEOPLE["bo"], BOT} <= room.members
    [note] = [e for e in await runtime.store.timeline(incident.id) if e.kind == "channel.invited"]
    assert note.message == (
        "incident-room: invited the on-call people: Ann, 薄波; not Cy: no id for them on slack"
    )
    assert (note.data["invited"], note.data["missing"]) == (["ann", "bo"], ["cy"])


async def test_invite_oncall_names_a_team_the_rota_has(
    fake_slack, slack_runtime, write_playbook, wait_settled, with_rota
):
    write_playbook("outage", ONCALL_ROOM)
    runtime = await slack_runtime(extra=with_rota)
    nobody = await runtime.engine.trigger("outage", {"team": "night"}, actor="test")
    [run] = await wait_settled(runtime, nobody.id)
    assert run.status is RunStatus.SUCCEEDED  # a team with nobody on shift invites nobody
    assert fake_slack.calls_of("conversations.invite")[-1].args["users"].count(",") == 2
    unknown = await runtime.engine.trigger("outage", {"team": "sales"}, actor="test")
    [run] = await wait_settled(runtime, unknown.id)
    assert run.status is RunStatus.FAILED
    assert run.error == "invite_oncall: no team 'sales' in the rota (known: cs, night)"


async def test_paging_oncall_is_who_is_on_shift_in_a_team_or_all(
    slack_runtime, write_playbook, with_rota
):
    write_playbook("outage", ONCALL_ROOM)
    runtime = await slack_runtime(extra=with_rota, start=False)
    paging = runtime.engine.services.pagers
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    assert [p.id for p in await paging.oncall(incident.id)] == ["ann", "bo", "cy"]
    assert [p.id for p in await paging.oncall(incident.id, "night")] == []
    with pytest.raises(ValueError, match="no team 'x'"):
        await paging.oncall(incident.id, "x")


@pytest.fixture
async def rota_client(slack_config, aiohttp_client, write_playbook, probe, with_rota):
    write_playbook("system-outage", TRIGGER)
    app = create_app(
        slack_config(extra=with_rota),
        extra_plugins=[probe, surge_slack.plugin],
        load_entry_points=False,
    )
    assert not app[RUNTIME].problems, app[RUNTIME].problems
    return await aiohttp_client(app)


async def command(client, text, user):
    body = command_body(text, user=user)
    response = await client.post(COMMANDS, data=body, headers=signed(body))
    assert response.status == 200
    answer = await response.json()
    assert answer["response_type"] == "ephemeral"
    return answer["text"]


async def test_slack_users_are_rota_people_with_the_roles_their_rota_roles_give(rota_client):
    runtime = rota_client.app[RUNTIME]
    # bo's rota role `agent` maps to no surge role: a viewer, refused in zh-CN, his locale
    refused = await command(rota_client, "trigger system-outage", PEOPLE["bo"])
    assert refused == "您的角色 viewer 不能触发 system-outage，需要：responder。"
    assert await runtime.store.list_incidents() == []
    # Ann is a lead: a responder by plugins.slack.rota_roles' default
    opened = await command(rota_client, "trigger system-outage", PEOPLE["ann"])
    [incident] = await runtime.store.list_incidents()
    assert opened == f"Opened incident #{incident.id}: Service channel outage"
    assert incident.triggered_by == "slack:ann"
    # Mei (comms, zh-TW) may look, in her language
    status = await command(rota_client, "status", PEOPLE["mei"])
    assert status.startswith(f"#{incident.id} Service channel outage · 已觸發 · ")
    # plugins.slack.users still overrides: lee is a responder there
    assert (await command(rota_client, "status", RESPONDER)).startswith(f"#{incident.id}")


async def test_surge_who_shows_who_is_on_call_with_their_slack_mentions(rota_client):
    text = await command(rota_client, "who", PEOPLE["ann"])
    lines = text.splitlines()
    assert lines[0].startswith("On call now (UTC ")
    assert lines[1:] == [
        f"cs · all-day 00:00-00:00: Ann <@{PEOPLE['ann']}>",
        f"cs · all-day 00:00-00:00: 薄波 <@{PEOPLE['bo']}>",
        "cs · all-day 00:00-00:00: Cy",
        f"Standby, free: Mei <@{PEOPLE['mei']}>",
    ]
    team = await command(rota_client, "who cs", PEOPLE["ann"])
    assert team.splitlines()[-1] == f"Leads: Ann <@{PEOPLE['ann']}>"
    night = await command(rota_client, "who night", PEOPLE["mei"])
    assert night.splitlines()[1] == "現在沒有人當班。"
    unknown = await command(rota_client, "who sales", PEOPLE["ann"])
    assert unknown == "No team sales in the rota. Known: cs, night"
    helped = await command(rota_client, "help", PEOPLE["ann"])
    assert "/surge who [TEAM] shows who is on call" in helped


def test_invite_oncall_is_checked_before_the_playbook_runs():
    from surge.config import parse_config
    from surge.playbook import load_playbook
    from surge.runtime import build_runtime

    runtime = build_runtime(parse_config("playbooks: /nonexistent\n", "c.yaml"))
    text = ONCALL_ROOM.replace('"{{ params.team }}"', "[cs]").replace("\n    ", "\n")
    _, problems = load_playbook(text, "p.yaml", runtime.actions, runtime.templates)
    assert [problem.message for problem in problems] == [
        "action 'channel.open': invite_oncall is true, false or a rota team's id"
    ]


async def test_a_provider_that_invites_nobody_says_so(
    slack_runtime, write_playbook, wait_settled, with_rota
):
    write_playbook("outage", ONCALL_ROOM.replace("channel: incident-room", "channel: room-mail"))
    runtime = await slack_runtime(extra=with_rota)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    [run] = await wait_settled(runtime, incident.id)
    assert run.status is RunStatus.SUCCEEDED
    [note] = [e for e in await runtime.store.timeline(incident.id) if e.kind == "channel.invited"]
    assert note.message == "room-mail: email invites nobody; the on-call people were not invited"
    assert note.data["missing"] == ["ann", "bo", "cy"]
