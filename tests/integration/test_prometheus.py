"""Metric triggers against a real Prometheus scraping a test exporter: `for`, joining,
`clear_for`, and `unknown` when Prometheus goes away; and `surge simulate` replaying a
recording of the same kind of series."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from integration.services import (
    Exporter,
    StartPrometheus,
    StartSurge,
    Surge,
    eventually,
    free_port,
    run_surge,
    stays,
    write_surge,
)

FOR = 4.0  # seconds, the playbook's `for` and `clear_for`
SLACK = 0.25  # a scrape may start a moment before the exporter's value changes
QUERY = "max by (channel, pod) (cs_channel_errors) > 5"
CLEAR = "max by (channel, pod) (cs_channel_errors) < 1"

CHANNEL_ERRORS = f"""
id: channel-errors
title: Channel errors
params:
  channel: {{type: string, required: true}}
  errors: {{type: float, default: 0}}
triggers:
  - metric:
      id: errors
      query: "{QUERY}"
      for: {FOR:g}s
      clear: "{CLEAR}"
      clear_for: {FOR:g}s
      on_clear: resolve
      params: {{channel: "{{{{ labels.channel }}}}", errors: "{{{{ value }}}}"}}
group_by: [channel]
steps:
  - action: log
    with: {{message: "errors on {{{{ params.channel }}}}"}}
"""


def errors(value: float, *pods: str) -> list[tuple[str, dict[str, str], float]]:
    return [("cs_channel_errors", {"channel": "web", "pod": pod}, value) for pod in pods]


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


async def open_incidents(server: Surge) -> list[dict[str, Any]]:
    return [item for item in await server.incidents() if item["status"] == "triggered"]


async def test_fires_after_for_joins_one_incident_and_clears_after_clear_for(
    exporter: Exporter, prometheus: StartPrometheus, surge: StartSurge
) -> None:
    exporter.set_many(*errors(0, "a", "b", "c"))
    prom = await prometheus()
    server = await surge({"channel-errors": CHANNEL_ERRORS}, prometheus=prom)
    await prom.wait_series(CLEAR, 3)

    async def evaluating() -> bool:
        status = (await server.readyz())["triggers"]
        return bool(status["evaluating"]) and status["triggers"] == {"channel-errors#errors": "ok"}

    await eventually(evaluating, "surge to evaluate the metric trigger")

    # two series of one group start firing at once: one incident after `for`, not before
    started = time.time()
    exporter.set_many(*errors(9, "a", "b"))
    found = await eventually(
        lambda: _seen_early(server, started, FOR - SLACK), "the incident", timeout=FOR + 8
    )
    [incident] = found
    assert timestamp(incident["created_at"]) >= started + FOR - SLACK
    assert incident["params"] == {"channel": "web", "errors": 9.0}
    assert incident["triggered_by"] == "prometheus"
    incident_id = int(incident["id"])

    async def joined(times: int) -> bool:
        return (await server.timeline_kinds(incident_id)).count("metric.joined") == times

    await eventually(lambda: joined(1), "the second series to join")  # in the same round
    assert (await server.timeline_kinds(incident_id)).count("incident.opened") == 1

    # a third series of the group, and the first two still firing: joined, never a second
    exporter.set_many(*errors(9, "c"))

    await eventually(lambda: joined(2), "the third series to join", timeout=FOR + 8)
    assert [item["id"] for item in await server.incidents()] == [incident_id]
    await server.wait_metric(3, "surge_trigger_state", playbook="channel-errors", state="firing")

    # every series low: still open until the clear condition has held `clear_for`
    clear_started = time.time()
    exporter.set_many(*errors(0, "a", "b", "c"))

    async def resolved() -> dict[str, Any] | None:
        current = await server.incident(incident_id)
        if current["status"] != "triggered":
            return current
        return None

    async def still_open() -> bool:
        if time.time() >= clear_started + FOR - SLACK:
            return True  # past the point where it may close
        return await server.status(incident_id) == "triggered"

    await stays(still_open, "the incident open before clear_for", FOR - SLACK)
    final = await eventually(resolved, "the incident to resolve", timeout=8)
    assert final["status"] == "resolved"
    assert timestamp(final["resolved_at"]) >= clear_started + FOR - SLACK
    entries = final["timeline"]
    cleared_notes = [e["message"] for e in entries if e["kind"] == "signal.cleared"]
    assert len(cleared_notes) == 2, cleared_notes  # the first two of three: others still fire
    [status] = [e for e in entries if e["kind"] == "status"]
    assert status["actor"] == "prometheus"
    assert status["data"]["status"] == "resolved"
    assert len(await server.incidents()) == 1


async def _seen_early(
    server: Surge, started: float, not_before: float
) -> list[dict[str, Any]] | None:
    """The incidents once there are any; fails if one shows up before ``not_before``."""
    found = await server.incidents()
    elapsed = time.time() - started
    assert not found or elapsed >= not_before, (
        f"an incident opened {elapsed:.2f}s after the condition began to hold; `for` is "
        f"{FOR:g}s: {found}"
    )
    return found or None


FLAKY = """
id: flaky
title: Flaky channel
params:
  channel: {type: string, required: true}
triggers:
  - metric:
      id: errors
      query: max by (channel) (cs_channel_errors) > 5
      clear: max by (channel) (cs_channel_errors) < 1
      on_clear: resolve
      params: {channel: "{{ labels.channel }}"}
group_by: [channel]
steps:
  - action: log
    with: {message: "flaky {{ params.channel }}"}
"""


async def test_prometheus_down_makes_the_trigger_unknown_and_never_clears(
    exporter: Exporter, prometheus: StartPrometheus, surge: StartSurge
) -> None:
    """`for` and `clear_for` are 0s here: anything that took "no answer" for clear would
    resolve the incident at the next evaluation."""
    exporter.set("cs_channel_errors", 9, channel="web")
    prom = await prometheus()
    server = await surge({"flaky": FLAKY}, prometheus=prom)
    [incident] = await eventually(lambda: open_incidents(server), "the incident")
    incident_id = int(incident["id"])
    await server.wait_metric(1, "surge_trigger_state", playbook="flaky", state="firing")

    prom.process.stop()

    async def unknown() -> str | None:
        health = await server.trigger_health("flaky#errors")
        return health if health.startswith("unknown: ") else None

    await eventually(unknown, "the trigger to become unknown in /readyz", timeout=10)
    await server.wait_metric(
        1, "surge_trigger_state", playbook="flaky", trigger="errors", state="unknown"
    )
    assert await server.metric("surge_trigger_state", playbook="flaky", state="firing") == 0

    async def noted() -> list[dict[str, Any]]:
        timeline = (await server.incident(incident_id))["timeline"]
        return [entry for entry in timeline if entry["kind"] == "trigger.unknown"]

    [note] = await eventually(noted, "a trigger.unknown entry on the timeline")
    assert "the incident is not cleared" in note["message"]

    async def open_and_unknown() -> bool:
        current = await server.incident(incident_id)
        health = await server.trigger_health("flaky#errors")
        return current["status"] == "triggered" and health.startswith("unknown: ")

    await stays(open_and_unknown, "the incident open while Prometheus is down", 3.0)
    assert len(await noted()) == 1  # noted once, not every round

    # Prometheus back, the metric low: now the clear condition answers, and it clears
    exporter.set("cs_channel_errors", 0, channel="web")
    await prometheus.restart(prom)

    async def resolved() -> bool:
        return await server.status(incident_id) == "resolved"

    await eventually(resolved, "the incident to resolve once Prometheus answers", timeout=15)
    assert await server.trigger_health("flaky#errors") == "ok"


async def test_a_value_between_the_thresholds_keeps_the_series_firing(
    exporter: Exporter, prometheus: StartPrometheus, surge: StartSurge
) -> None:
    """Hysteresis: fire above 5, clear below 1; at 3 the series has data and has not
    cleared, so it stays firing (it is not `unknown`, and the timeline does not say that
    there is no data)."""
    exporter.set("cs_channel_errors", 9, channel="web")
    prom = await prometheus()
    server = await surge({"flaky": FLAKY}, prometheus=prom)
    [incident] = await eventually(lambda: open_incidents(server), "the incident")
    incident_id = int(incident["id"])

    exporter.set("cs_channel_errors", 3, channel="web")

    async def scraped() -> bool:
        answer = await prom.query("max by (channel) (cs_channel_errors)")
        return [item["value"][1] for item in answer] == ["3"]

    await eventually(scraped, "Prometheus to have the value 3")

    async def still_firing() -> bool:
        kinds = await server.timeline_kinds(incident_id)
        firing = await server.metric("surge_trigger_state", playbook="flaky", state="firing")
        return "trigger.unknown" not in kinds and firing == 1

    await stays(still_firing, "the series firing in the hysteresis band", 3.0)
    assert await server.trigger_health("flaky#errors") == "ok"
    assert await server.status(incident_id) == "triggered"


REPLAYED = """
id: replayed
title: Replayed channel errors
params:
  channel: {type: string, required: true}
triggers:
  - metric:
      query: sum by (channel) (rate(cs_channel_errors_total[5m])) > 5
      for: 30s
      clear: sum by (channel) (rate(cs_channel_errors_total[5m])) < 0.5
      clear_for: 60s
      on_clear: resolve
      params: {channel: "{{ labels.channel }}"}
group_by: [channel]
steps:
  - id: page
    action: log
    with: {message: "errors on {{ params.channel }}"}
"""
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
EXPECTED = [
    (60.0, "pending", None),
    (90.0, "opened", 1),
    (300.0, "clearing", 1),
    (360.0, "cleared", 1),
]


def recording() -> list[tuple[int, str, float]]:
    """Every 15 s for 7 minutes: the condition holds from 60 s to 285 s, the clear
    condition before and from 300 s (what Prometheus would have answered)."""
    return [
        (second, "query", 9.0) if 60 <= second < 300 else (second, "clear", 0.2)
        for second in range(0, 421, 15)
    ]


def replay_config(tmp_path: Path) -> Path:
    return write_surge(tmp_path / "replay", free_port(), {"replayed": REPLAYED}, interval="15s")


def transitions(output: str) -> list[tuple[float, str, int | None]]:
    body = json.loads(output)
    assert body["playbook"] == "replayed"
    assert body["interval"] == 15
    found = []
    for item in body["transitions"]:
        assert item["series"] == '{channel="web"}'
        at = datetime.fromisoformat(item["at"])
        assert (at - START).total_seconds() == item["offset"]
        found.append((item["offset"], item["event"], item["incident"]))
    return found


async def test_replay_prints_when_a_recorded_series_fires_and_clears(tmp_path: Path) -> None:
    config = replay_config(tmp_path)
    csv = tmp_path / "errors.csv"
    rows = [
        f"{(START + timedelta(seconds=second)).isoformat()},{expr},channel=web,{value}"
        for second, expr, value in recording()
    ]
    csv.write_text("time,expr,labels,value\n" + "\n".join(rows) + "\n", encoding="utf-8")

    code, output = await run_surge(
        "simulate", "replayed", "--metrics", str(csv), "--config", str(config), "--json"
    )
    assert code == 0, output
    assert transitions(output) == EXPECTED
    assert json.loads(output)["incidents"] == {
        "1": [{"step": "page", "action": "log", "when": None}]
    }

    code, table = await run_surge(
        "simulate",
        "replayed",
        "--metrics",
        str(csv),
        "--config",
        str(config),
        env={"COLUMNS": "200"},
    )
    assert code == 0, table
    rows_shown = [line.split() for line in table.splitlines()]
    assert any("08:01:30" in row and "opened" in row for row in rows_shown), table
    assert any("08:06:00" in row and "cleared" in row for row in rows_shown), table
    assert "incident 1 would run: page (log)" in table
    # nothing was stored or sent: the real store is untouched
    assert not (tmp_path / "replay" / "surge.db").exists()


async def test_replay_reads_prometheus_range_query_json(tmp_path: Path) -> None:
    config = replay_config(tmp_path)
    playbook_query = "sum by (channel) (rate(cs_channel_errors_total[5m])) > 5"
    playbook_clear = "sum by (channel) (rate(cs_channel_errors_total[5m])) < 0.5"
    matrices: dict[str, dict[str, Any]] = {}
    for expr, promql in (("query", playbook_query), ("clear", playbook_clear)):
        values = [
            [(START + timedelta(seconds=second)).timestamp(), f"{value:g}"]
            for second, kind, value in recording()
            if kind == expr
        ]
        matrices[promql] = {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"channel": "web"}, "values": values}],
            },
        }
    recorded = tmp_path / "errors.json"
    recorded.write_text(json.dumps(matrices), encoding="utf-8")
    code, output = await run_surge(
        "simulate", "replayed", "--metrics", str(recorded), "--config", str(config), "--json"
    )
    assert code == 0, output
    assert transitions(output) == EXPECTED
