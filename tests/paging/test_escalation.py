"""Escalation across levels on a clock the test moves; pages are read at a real SMTP server."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from support.paging import ROTA, link_in, wait_for_mail, wait_for_run

from surge.paging.links import read_token
from surge.store.records import IncidentStatus, RunStatus

FIVE_MINUTES = 300


async def test_each_level_pages_the_next_people_until_someone_acknowledges(
    world, clock, start_world
) -> None:
    runtime = await start_world(world.config())
    incident = await runtime.engine.trigger("outage", {}, actor="test")

    [first] = await wait_for_mail(world.smtp, 1)
    assert first.recipients == ["ann@example.test"]  # on the early shift
    assert first.message["Subject"] == f"[surge page] Web chat down (incident {incident.id})"
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)

    clock.advance(FIVE_MINUTES)
    runtime.engine.wake()
    second = (await wait_for_mail(world.smtp, 2))[1]
    assert second.recipients == ["bo@example.test"]  # the standby pool, least recently called
    assert "【surge 呼叫】Web chat down" in second.message["Subject"]  # bo reads zh-CN

    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    clock.advance(FIVE_MINUTES)
    runtime.engine.wake()
    third = (await wait_for_mail(world.smtp, 3))[2]
    assert third.recipients == ["lee@example.test"]  # the lead
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)

    # Lee acknowledges through the link in the mail, two minutes later
    clock.advance(120)
    claim = read_token("link-secret-for-tests", link_in(third.text).rsplit("/", 1)[1], clock())
    answered = await runtime.engine.services.pagers.answer(claim.page_id, claim.action, "link")
    assert answered.ok, answered.message
    run = await wait_for_run(runtime, incident.id, "page", RunStatus.SUCCEEDED)
    assert (run.result or {})["acknowledged"] is True
    assert (run.result or {})["by"] == "Lee"
    assert (run.result or {})["level"] == 3
    assert (run.result or {})["time_to_ack_s"] == 2 * FIVE_MINUTES + 120
    assert (await runtime.store.get_incident(incident.id)).status is IncidentStatus.ACKNOWLEDGED
    acked = {"policy": "standby-shift", "outcome": "acknowledged"}
    assert runtime.engine.metrics.registry.get_sample_value("surge_escalations_total", acked) == 1

    kinds = [entry.kind for entry in await runtime.store.timeline(incident.id)]
    assert kinds.count("page.sent") == 3
    assert "page.ack" in kinds and "page.stopped" in kinds
    ack = next(e for e in await runtime.store.timeline(incident.id) if e.kind == "page.ack")
    assert ack.message == "Lee acknowledged by link, 2m after the page"
    assert len(world.smtp.received) == 3  # nobody was paged twice


async def test_acknowledging_the_incident_stops_the_escalation(world, clock, start_world) -> None:
    runtime = await start_world(world.config())
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_for_mail(world.smtp, 1)
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    clock.advance(90)
    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "cli:ops")
    run = await wait_for_run(runtime, incident.id, "page", RunStatus.SUCCEEDED)
    assert (run.result or {})["by"] == "cli:ops"
    assert (run.result or {})["time_to_ack_s"] == 90
    clock.advance(3600)
    runtime.engine.wake()
    await asyncio.sleep(0.2)
    assert len(world.smtp.received) == 1


async def test_an_exhausted_policy_repeats_then_gives_up(world, clock, start_world) -> None:
    runtime = await start_world(world.config())
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    for count in range(1, 7):  # two rounds of three levels
        await wait_for_mail(world.smtp, count)
        await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
        clock.advance(FIVE_MINUTES)
        runtime.engine.wake()
    run = await wait_for_run(runtime, incident.id, "page", RunStatus.SUCCEEDED)
    assert run.result == {"acknowledged": False, "policy": "standby-shift", "rounds": 2}
    recipients = [mail.recipients[0].split("@")[0] for mail in world.smtp.received]
    # the second round takes the standby person called least recently: cy, not bo again
    assert recipients == ["ann", "bo", "lee", "ann", "cy", "lee"]
    await wait_for_run(runtime, incident.id, "after", RunStatus.SUCCEEDED)  # reads the result
    entries = await runtime.store.timeline(incident.id)
    assert any(e.kind == "page.exhausted" for e in entries)
    assert any(e.message == "paged: False" for e in entries)
    # the metric the shipped alert rule SurgeEscalationExhausted watches
    registry = runtime.engine.metrics.registry
    labels = {"policy": "standby-shift", "outcome": "exhausted"}
    assert registry.get_sample_value("surge_escalations_total", labels) == 1


async def test_a_failed_delivery_falls_over_to_the_next_contact_method(
    world, clock, start_world, receiver_app
) -> None:
    sms = await receiver_app()
    rota = world_rota_with_sms()
    config = world.config(
        pagers=f"""
        pagers:
          links: {{secret_env: SURGE_TEST_LINK_SECRET}}
          email: {{}}
          sms: {{type: webhook, url: "{sms.url}", secret: sms-secret}}
        """,
        rota=rota,
    )
    world.smtp.refuse(550)
    runtime = await start_world(config)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    assert len(sms.requests) == 1
    body: dict[str, Any] = sms.requests[0].json()
    assert body["to"] == "+8613800000001"
    assert body["person"]["id"] == "ann"
    assert re.search(r"/page/\S+", body["links"]["ack"])
    entries = await runtime.store.timeline(incident.id)
    failed = next(e for e in entries if e.kind == "page.failed")
    assert "page to Ann by email failed" in failed.message
    assert "trying the next contact method" in failed.message
    sent = next(e for e in entries if e.kind == "page.sent")
    assert sent.message.startswith("paged Ann by sms (+8613800000001)")
    assert "sms-secret" not in str([e.data for e in entries])


def world_rota_with_sms() -> str:
    return ROTA.replace(
        "ann: {name: Ann, locale: en, contact: [{email: ann@example.test}]}",
        "ann: {name: Ann, locale: en,"
        " contact: [{email: ann@example.test}, {sms: '+8613800000001'}]}",
    )


async def test_an_e_mail_cut_off_mid_send_is_marked_unknown_not_sent_again(
    world, clock, make_runtime
) -> None:
    """As after a kill -9 between handing a mail to SMTP and recording it: e-mail cannot
    de-duplicate, so surge says it may have arrived and does not send it a second time."""
    from support.paging import approve_scripts

    from surge.paging.records import Escalation, PageRecord, PageStatus

    runtime = await make_runtime(config=world.config(), start=False)
    runtime.engine.clock = clock
    await approve_scripts(runtime)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    key = f"{incident.id}:steps:page:1"
    later = clock.now + timedelta(minutes=5)
    escalation = await runtime.store.start_escalation(
        Escalation(0, incident.id, key, "escalation", "standby-shift", 0, clock.now, later,
                   people=["ann"]),
        [],
    )  # fmt: skip
    cut = PageRecord(
        0, escalation.id, incident.id, f"{key}/0.0/ann/0", "ann", 0, 0, 0, "email",
        "ann@example.test", PageStatus.SENDING, clock.now,
    )  # fmt: skip
    await runtime.store.begin_page(cut, [])
    await runtime.engine.start()
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    assert world.smtp.received == []
    [page] = await runtime.store.pages(incident.id)
    assert page.status is PageStatus.UNKNOWN
    unknown = [e for e in await runtime.store.timeline(incident.id) if e.kind == "page.unknown"]
    assert "it may or may not have arrived, so it is not sent again" in unknown[0].message


async def test_pages_go_out_over_starttls_with_a_login(tls_world, start_world) -> None:
    runtime = await start_world(tls_world.config())
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    [mail] = await wait_for_mail(tls_world.smtp, 1)
    assert mail.recipients == ["ann@example.test"]
    assert mail.message["From"] == "surge <surge@example.test>"
    assert link_in(mail.text).startswith("http://surge.example.test/page/")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    sent = [e for e in await runtime.store.timeline(incident.id) if e.kind == "page.sent"]
    assert sent[0].data["result"]["message_id"] == mail.message["Message-ID"]
    assert "smtp-test-password" not in str(
        [e.data for e in await runtime.store.timeline(incident.id)]
    )


async def test_a_chat_plugin_acknowledges_for_the_person_it_paged(
    world, clock, start_world
) -> None:
    """What the Slack plugin's button will call: the person's page is answered."""
    runtime = await start_world(world.config())
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_for_mail(world.smtp, 1)
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    clock.advance(75)
    paging = runtime.engine.services.pagers
    answered = await paging.acknowledge(incident.id, by="Ann", via="slack", person="ann")
    assert answered.ok and answered.page is not None and answered.page.answered_via == "slack"
    run = await wait_for_run(runtime, incident.id, "page", RunStatus.SUCCEEDED)
    assert (run.result or {})["by"] == "Ann"
    acks = [e.message for e in await runtime.store.timeline(incident.id) if e.kind == "page.ack"]
    assert acks == ["Ann acknowledged by slack, 1m15s after the page"]
    again = await paging.acknowledge(incident.id, by="Ann", via="slack", person="ann")
    assert again.ok and "cannot be set to acknowledged" in again.message
