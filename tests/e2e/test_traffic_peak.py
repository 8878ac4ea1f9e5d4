"""traffic-peak, trigger to resolve: a Prometheus rule on the waiting queue fires through
Alertmanager; the shipped playbook switches backup capacity on, pushes the agents' script
to Slack, calls in standby staff by Erlang C on the contact rate Prometheus measures
(pages by e-mail, answered through their links), and when the queue is short again and
the alert resolves, switches capacity off and stands the agents down."""

from __future__ import annotations

import time

from integration.services import Exporter

from e2e.conftest import Start
from e2e.world import CALL_IN, E2E, has_text, holds
from surge.rota.oncall import standby_available
from surge.staffing.plan import Demand, plan
from surge.store.records import RunStatus

RATE = 90 / 3600  # contacts a second during the peak
AHT = 240.0  # seconds
HISTORY = 600  # seconds of contacts counted before the test starts
RULES = """
groups:
  - name: contact-centre
    rules:
      - alert: ContactQueueHigh
        expr: sum(cs_waiting_contacts) > 200
        for: 0s
        annotations: {summary: "the 11.11 sale"}
"""


def count_contacts(exporter: Exporter) -> str:
    """cs_contacts_total has risen at RATE for the last ten minutes (the OpenMetrics
    history returned, to backfill) and goes on rising at each scrape, so that
    ``rate(cs_contacts_total[5m])`` is RATE, as on a Prometheus that has run a while."""
    began, text = time.time() - HISTORY, exporter.text

    def scrape() -> str:
        exporter.set("cs_contacts_total", RATE * (time.time() - began), queue="all")
        return text()

    exporter.text = scrape  # type: ignore[method-assign]
    lines = ["# TYPE cs_contacts_total counter"]
    for second in range(0, HISTORY - 15, 15):
        at = began + second
        labels = f'instance="{exporter.target}",job="exporter",queue="all"'  # as scraped
        lines.append(f"cs_contacts_total{{{labels}}} {RATE * second:.6f} {at:.3f}")
    return "\n".join([*lines, "# EOF", ""])


async def test_traffic_peak_from_the_alert_to_stand_down(exporter: Exporter, start: Start) -> None:
    exporter.set("cs_waiting_contacts", 15, queue="all")
    exporter.set("cs_handle_time_seconds", AHT, queue="all")
    world = await start(RULES, history=count_contacts(exporter))

    exporter.set("cs_waiting_contacts", 320, queue="all")  # the sale starts
    incident = await world.opened("traffic-peak")
    stored = await world.runtime.store.get_incident(incident)
    assert stored is not None and stored.trigger == "alert"
    assert stored.params["reason"] == "the 11.11 sale"  # from the alert's annotation

    # backup capacity switched on, through the webhook target
    up = await world.eventually(lambda: _capacity(world, "up"), "capacity on")
    assert up["incident"] == incident
    # the banner on the website and in the app: come back later, or use self-service
    shown = await world.eventually(
        world.public_until("/banner.json", lambda body: body["banner"] is not None), "banner"
    )
    banner = shown["banner"]
    assert banner["severity"] == "warning" and banner["link"] == "https://help.example.com"
    assert "错峰" in banner["text"]["zh-CN"] and "self-service" in banner["text"]["en"]
    # the agents' script pushed to the agents' Slack channel and pinned
    agents = world.slack.by_name("cs-agents")
    await world.eventually(lambda: has_text(agents.messages, "自助服务"), "the script on Slack")
    await world.eventually(lambda: holds(bool(agents.pins)), "the agents' script pinned")

    # call-in: the shortfall by Erlang C for the measured load, asked of the free pool
    await world.run(incident, "call-in", RunStatus.WAITING)
    entries = await world.timeline(incident)
    [start_entry] = [e for e in entries if e.kind == "callin.start"]
    expected = plan(Demand(RATE, AHT, 0.8, 30, 0.3))
    for margin in (0.95, 1.05):  # the load is well inside one Erlang C band
        assert plan(Demand(RATE * margin, AHT, 0.8, 30, 0.3)).scheduled == expected.scheduled
    facts = start_entry.data
    assert (facts["needed"], facts["scheduled"]) == (expected.needed, expected.scheduled)
    assert facts["shortfall"] == min(10, expected.scheduled - facts["on_shift"])
    rota = world.runtime.engine.services.rota
    assert rota is not None
    free = standby_available(rota, start_entry.at, "customer-service")
    asked = min(facts["shortfall"], len(free))
    mails = await world.mails(asked, *CALL_IN)
    assert len(mails) == asked and asked >= 2
    # all but the last accept; the last declines, and the pool has nobody left to ask
    for mail in mails[:-1]:
        assert await world.open_link(mail, "accept") == 200
    assert await world.open_link(mails[-1], "decline") == 200
    result = (await world.run(incident, "call-in", RunStatus.SUCCEEDED)).result
    assert result is not None
    assert len(result["accepted"]) == asked - 1 and len(result["declined"]) == 1
    assert result["short_by"] == facts["shortfall"] - (asked - 1)
    await world.status(incident, "mitigated")

    exporter.set("cs_waiting_contacts", 20, queue="all")  # the rush is over
    await world.status(incident, "resolved", within=25)
    runs = await world.settled(incident)
    down = await world.eventually(lambda: _capacity(world, "down"), "capacity off")
    assert down["incident"] == incident
    await world.eventually(lambda: has_text(agents.messages, "话务高峰已结束"), "stand-down")
    await world.eventually(  # the banner cleared
        world.public_until("/banner.json", lambda body: body["banner"] is None), "no banner"
    )
    failed = [(r.step_id, r.error) for r in runs if r.status is RunStatus.FAILED]
    assert failed == []
    kinds = await world.kinds(incident)
    assert kinds.count("callin.accepted") == asked - 1 and "callin.declined" in kinds
    resolved = [e for e in await world.timeline(incident) if e.data.get("status") == "resolved"]
    assert resolved[0].actor == "alertmanager"


async def _capacity(world: E2E, action: str) -> dict[str, object] | None:
    for received in world.hooks.requests:
        body = received.json()
        if received.path.endswith("/backup-capacity") and body.get("action") == action:
            return dict(body)
    return None
