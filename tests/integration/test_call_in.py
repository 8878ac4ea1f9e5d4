"""``staff.call_in`` against a real Prometheus: the shortfall by Erlang C, a fair order,
accept and decline links, and replacements for who declines or does not answer."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from integration.services import Exporter, eventually
from support.paging import (
    LINK_ENV,
    LINK_SECRET,
    ROOT,
    Clock,
    World,
    approve_scripts,
    link_in,
    wait_for_mail,
    wait_for_run,
)

from surge.config import PrometheusSettings
from surge.paging.links import read_token
from surge.store.records import RunStatus

ROTA = """
timezone: Asia/Shanghai
shifts: {all-day: "00:00-24:00"}
people:
  ann: {name: Ann, locale: en, contact: [{email: ann@example.test}]}
  bo: {name: Bo, locale: en, contact: [{email: bo@example.test}]}
  cy: {name: Cy, locale: en, contact: [{email: cy@example.test}]}
  di: {name: Di, locale: en, contact: [{email: di@example.test}]}
teams:
  cs: {name: Customer service}
rotations:
  - {id: cs, team: cs, shift: all-day, pattern: daily, start: 2030-01-07, people: [ann]}
standby: [cy, bo, di]
escalation:
  unused: {levels: [{page: [{lead: cs}], wait: 5m}]}
"""

PEAK = """
id: peak
title: Traffic peak
steps:
  - id: call-in
    action: staff.call_in
    with:
      team: cs
      rate_query: sum(cs_contacts_per_second)
      aht_query: avg(cs_handle_seconds)
      target: 80/30s
      answer_within: 5m
      max: 2
"""


@pytest.fixture
def world(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> World:
    monkeypatch.setenv(LINK_ENV, LINK_SECRET)
    folder = tmp_path / "world"
    (folder / "playbooks").mkdir(parents=True)
    (folder / "playbooks" / "peak.yaml").write_text(PEAK, encoding="utf-8")
    shutil.copytree(ROOT / "config" / "scripts", folder / "scripts")
    return World(folder, smtp_server, store_url)


async def test_call_in_asks_the_shortfall_and_replaces_who_declines_or_is_silent(
    world: World, prometheus: Any, exporter: Exporter, make_runtime: Any
) -> None:
    exporter.set("cs_contacts_per_second", 30 / 3600, queue="web")
    exporter.set("cs_handle_seconds", 240.0, queue="web")
    server = await prometheus()

    async def scraped() -> Any:
        return await server.query("cs_handle_seconds")

    await eventually(scraped, "Prometheus scraping the exporter")
    clock = Clock(datetime.now(UTC))  # Prometheus answers for now, not for a made-up time
    config = world.config(rota=ROTA)
    config.prometheus = PrometheusSettings(server.url)
    runtime = await make_runtime(config=config, start=False)
    runtime.engine.clock = clock
    await approve_scripts(runtime)
    await runtime.engine.start()
    paging = runtime.engine.services.pagers
    await runtime.store.called(["cy"], clock.now)  # cy was called last time: bo goes first

    incident = await runtime.engine.trigger("peak", {}, actor="test")
    mails = await wait_for_mail(world.smtp, 2)
    await wait_for_run(runtime, incident.id, "call-in", RunStatus.WAITING)
    # 30 contacts/h at 240 s is 2 erlangs: 4 agents meet 80% in 30 s; Ann is on shift,
    # so 3 short, capped at 2 by max
    assert [mail.recipients[0] for mail in mails] == ["bo@example.test", "di@example.test"]
    assert mails[0].message["Subject"] == f"[surge call-in] Traffic peak (incident {incident.id})"

    def answer_link(mail: Any, which: str) -> Any:
        links = [line for line in mail.text.splitlines() if line.startswith(which)]
        return read_token("link-secret-for-tests", link_in(links[0]).rsplit("/", 1)[1], clock())

    accept = answer_link(mails[0], "Yes:")
    assert (await paging.answer(accept.page_id, accept.action, "link")).ok
    clock.advance(30)
    decline = answer_link(mails[1], "No:")
    assert (await paging.answer(decline.page_id, decline.action, "link")).ok
    # Di declined: the next of the pool, Cy, is asked
    third = (await wait_for_mail(world.smtp, 3))[2]
    assert third.recipients == ["cy@example.test"]
    await wait_for_run(runtime, incident.id, "call-in", RunStatus.WAITING)
    # Cy does not answer within 5 minutes; the pool is used up
    clock.advance(301)
    runtime.engine.wake()
    run = await wait_for_run(runtime, incident.id, "call-in", RunStatus.SUCCEEDED)
    assert run.result == {
        "traffic_erlangs": 2.0,
        "needed": 4,
        "scheduled": 4,
        "on_shift": 1,
        "shortfall": 2,
        "accepted": ["bo"],
        "declined": ["di"],
        "no_answer": ["cy"],
        "short_by": 1,
    }
    kinds = [entry.kind for entry in await runtime.store.timeline(incident.id)]
    for kind in ("callin.start", "callin.accepted", "callin.declined", "callin.replaced"):
        assert kind in kinds
    assert kinds.count("page.sent") == 3 and "callin.timeout" in kinds and "callin.done" in kinds
    called = await runtime.store.last_called()
    assert called["bo"] < called["cy"] and called["di"] < called["cy"]  # the fair order's memory
    assert len(world.smtp.received) == 3
