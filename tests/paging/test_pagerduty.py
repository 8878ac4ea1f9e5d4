"""plugins/pagerduty against a local server speaking the Events API v2."""

from __future__ import annotations

from importlib import metadata

import surge_pagerduty
from support.pagerduty import PagerDutyEvents
from support.paging import ROTA, wait_for_mail, wait_for_run

from surge.store.records import IncidentStatus, RunStatus

KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 characters, as PagerDuty's are
PD_ROTA = ROTA.replace(
    "ann: {name: Ann, locale: en, contact: [{email: ann@example.test}]}",
    "ann: {name: Ann, locale: en, contact: [{pagerduty: ann}, {email: ann@example.test}]}",
)


def pagers(url: str) -> str:
    return f"""
    pagers:
      links: {{secret_env: SURGE_TEST_LINK_SECRET}}
      email: {{}}
      pagerduty: {{type: pagerduty, routing_key_env: PD_TEST_ROUTING_KEY, url: "{url}"}}
    """


def test_the_plugin_is_its_own_distribution_with_a_surge_entry_point() -> None:
    points = {point.name: point for point in metadata.entry_points(group="surge")}
    assert points["pagerduty"].value == "surge_pagerduty"
    assert points["pagerduty"].dist is not None
    assert points["pagerduty"].dist.name == "surge-pagerduty"


async def test_trigger_acknowledge_resolve_with_the_incident_id_as_dedup_key(
    world, start_world, aiohttp_server, monkeypatch
) -> None:
    monkeypatch.setenv("PD_TEST_ROUTING_KEY", KEY)
    events = await PagerDutyEvents.serve(aiohttp_server)
    runtime = await start_world(world.config(pagers(events.url), PD_ROTA), [surge_pagerduty])
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    [trigger] = events.events
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == str(incident.id)
    assert trigger["routing_key"] == KEY
    assert trigger["payload"]["summary"] == f"[surge page] Web chat down (incident {incident.id})"
    assert trigger["payload"]["severity"] == "warning" and trigger["payload"]["source"] == "surge"
    assert trigger["links"][0]["href"].startswith("http://surge.example.test/page/")
    assert events.incidents == {str(incident.id): "triggered"}
    assert world.smtp.received == []  # PagerDuty took it: no fall-over to e-mail

    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "cli:ops")
    await runtime.engine.events.drain()
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "cli:ops")
    await runtime.engine.events.drain()
    assert [e["event_action"] for e in events.events] == ["trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in events.events} == {str(incident.id)}
    assert events.incidents == {str(incident.id): "resolved"}
    entries = await runtime.store.timeline(incident.id)
    assert [e.message for e in entries if e.kind == "page.update"] == [
        "told pagerduty: acknowledge",
        "told pagerduty: resolve",
    ]
    assert KEY not in str([(e.message, e.data) for e in entries])


async def test_a_rate_limited_or_invalid_event_falls_over_to_e_mail(
    world, start_world, aiohttp_server, monkeypatch
) -> None:
    monkeypatch.setenv("PD_TEST_ROUTING_KEY", KEY)
    events = await PagerDutyEvents.serve(aiohttp_server)
    events.throttle = True
    runtime = await start_world(world.config(pagers(events.url), PD_ROTA), [surge_pagerduty])
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    [mail] = await wait_for_mail(world.smtp, 1)
    assert mail.recipients == ["ann@example.test"]
    failed = [e for e in await runtime.store.timeline(incident.id) if e.kind == "page.failed"]
    assert "PagerDuty is rate limiting this routing key (429)" in failed[0].message
    assert "trying the next contact method" in failed[0].message

    monkeypatch.setenv("PD_TEST_ROUTING_KEY", "too-short")
    events.throttle = False
    second = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_for_mail(world.smtp, 2)
    failed = [e for e in await runtime.store.timeline(second.id) if e.kind == "page.failed"]
    assert "PagerDuty answered 400: Event object is invalid" in failed[0].message
    assert "'routing_key' must be a 32 character string" in failed[0].message
    assert events.events == []
