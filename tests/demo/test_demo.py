"""`surge demo --fast`: the three scenarios through the shipped playbooks, the real engine,
metric watcher, webhook action, channel provider and pagers, on the embedded default."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from surge.cli import main
from surge.cli.render import err, out
from surge.demo.farside import decide
from surge.demo.metrics import SimulatedMetrics
from surge.demo.world import COMPLAINTS, TOPIC, WAITING, world_for
from surge.store import open_store
from surge.store.records import Incident, IncidentStatus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shipped_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SURGE_DEMO_LINK_SECRET", "demo-test-link-secret")
    monkeypatch.setenv("SURGE_DEMO_LINK_SECRET", "demo-test-link-secret")
    monkeypatch.setattr(out, "width", 400)
    monkeypatch.setattr(err, "width", 400)


def test_demo_fast_plays_all_three_scenarios_to_resolve(
    shipped_cwd: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    argv = ["demo", "--fast", "--exit", "--listen", "127.0.0.1:0", "--folder", str(folder)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert re.search(r"token +surge_demo_\S+ +\(role admin\)", text)
    assert re.search(r"status page +http://127\.0\.0\.1:\d+/status\n", text)
    assert re.search(r"console +http://127\.0\.0\.1:\d+/console/\n", text)
    for playbook in ("system-outage", "traffic-peak", "complaint-surge"):
        assert re.search(rf"#\d {playbook} +opened: .* triggered \(metric\)", text), playbook
        assert re.search(rf"#\d {playbook}: opened at .*; now resolved", text), playbook
    assert "resolved by prometheus: cleared: sum(cs_waiting_contacts) < 50" in text
    assert "resolved by shift-lead" in text
    assert "→ agents             script pinned outage-agents: 您好，在线客服目前出现故障" in text
    assert "Erlang C:" in text and "staffing: " in text
    for line in (
        r"traffic-peak +banner \d+ shown \(warning\)",
        r"traffic-peak +banner \d+ cleared",
        r"system-outage +notice \d+ version 1 published \(investigating\): web-chat: major_outage",
        r"system-outage +notice \d+ version 2 published \(resolved\): web-chat: operational",
        r"complaint-surge +complaint-statement approved by ",
        r"complaint-surge +post-incident report sent to departments",
    ):
        assert re.search(line, text), line
    incidents = asyncio.run(_incidents(folder))
    assert sorted(i.playbook_id for i in incidents) == [
        "complaint-surge",
        "system-outage",
        "traffic-peak",
    ]
    assert all(i.status is IncidentStatus.RESOLVED for i in incidents)


async def _incidents(folder: Path) -> list[Incident]:
    store = open_store(f"sqlite:///{folder / 'surge.db'}")
    await store.open()
    try:
        return list(await store.list_incidents())
    finally:
        await store.close()


def test_a_seed_plays_the_same_answers_and_metrics() -> None:
    people = ["li-wei", "wang-fang", "zhou-yan", "sun-li", "zhao-lei"]
    answers = [decide(7, "call-in", 2, person) for person in people]
    assert answers == [decide(7, "call-in", 2, person) for person in reversed(people)][::-1]
    assert answers != [decide(8, "call-in", 2, person) for person in people]
    minute = 9.25
    assert world_for("all", 7).samples(WAITING, minute) == world_for("all", 7).samples(
        WAITING, minute
    )
    assert world_for("all", 7).samples(WAITING, minute) != world_for("all", 8).samples(
        WAITING, minute
    )


def test_the_simulator_answers_the_shipped_queries_from_its_world() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    metrics = SimulatedMetrics(world_for("complaints", 1), start)
    query = (ROOT / "playbooks" / "complaint-surge.yaml").read_text(encoding="utf-8")
    condition = query.split("query: >-\n", 1)[1].split("      for:", 1)[0]
    before = asyncio.run(metrics.query(condition, start))
    during = asyncio.run(metrics.query(condition, start + timedelta(minutes=6)))
    assert before == []
    assert [dict(sample.labels) for sample in during] == [{"topic": TOPIC}]
    rate = asyncio.run(metrics.query(COMPLAINTS, start + timedelta(minutes=6)))
    assert {sample.labels["topic"] for sample in rate} == {TOPIC, "账单"}
