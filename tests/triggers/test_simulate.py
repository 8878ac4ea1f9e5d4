"""surge simulate: recorded series through the live watcher on a virtual clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from surge.triggers.simulate import RecordingError, simulate

START = 1764057600  # 2025-11-25T08:00:00Z
PLAYBOOK = """
id: outage
title: Channel outage
params:
  channel: {type: string, required: true}
triggers:
  - manual
  - metric:
      query: errors > 5
      for: 30s
      clear: errors < 1
      clear_for: 60s
      data: errors
      params: {channel: "{{ labels.channel }}"}
group_by: [channel]
steps:
  - {id: room, action: log, with: {message: "room for {{ params.channel }}"}}
  - {id: escalate, action: log, when: incident.status == "triggered", with: {message: up}}
"""


def recording(tmp_path: Path) -> Path:
    """web: bad from 60 s to 300 s, good after; app bad, then no data at all after 120 s."""
    rows = ["time,expr,labels,value"]
    for t in range(0, 481, 15):
        bad = 60 <= t < 300
        rows.append(f"{START + t},{'query' if bad else 'clear'},channel=web,{9 if bad else 0.1}")
        rows.append(f"{START + t},data,channel=web,{9 if bad else 0.1}")
        if t <= 120:
            rows.append(f"{START + t},query,channel=app,7")
            rows.append(f"{START + t},data,channel=app,7")
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


async def events(config, path: Path, **options):
    result = await simulate(config, "outage", path, interval=15, **options)
    return result, [(int(t.at.timestamp()) - START, t.series, t.event) for t in result.transitions]


async def test_replay_prints_fire_and_clear_times_and_the_steps(config, write_playbook, tmp_path):
    write_playbook("outage", PLAYBOOK)
    result, seen = await events(config, recording(tmp_path))
    web = [(at, event) for at, series, event in seen if "web" in series]
    assert web == [(60, "pending"), (90, "opened"), (300, "clearing"), (360, "cleared")]
    app = [(at, event) for at, series, event in seen if "app" in series]
    assert app == [(0, "pending"), (30, "opened"), (135, "unknown")]
    assert {incident: [s.id for s in steps] for incident, steps in result.incidents.items()} == {
        1: ["room", "escalate"],
        2: ["room", "escalate"],
    }


async def test_nothing_is_written_to_the_real_store_and_nothing_runs(
    config, write_playbook, tmp_path, make_runtime
):
    write_playbook("outage", PLAYBOOK)
    await events(config, recording(tmp_path))
    runtime = await make_runtime(start=False)
    assert await runtime.store.list_incidents() == []


async def test_a_prometheus_range_query_json_replays_the_same(config, write_playbook, tmp_path):
    write_playbook("outage", PLAYBOOK)
    bad = [[START + t, "9"] for t in range(60, 300, 15)]
    good = [[START + t, "0.1"] for t in range(300, 481, 15)]
    body = {
        "errors > 5": {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"channel": "web"}, "values": bad}],
            },
        },
        "clear": {
            "resultType": "matrix",
            "result": [{"metric": {"channel": "web"}, "values": good}],
        },
    }
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(body))
    _, seen = await events(config, path)
    assert [(at - 60, event) for at, _, event in seen] == [
        (0, "pending"),
        (30, "opened"),
        (240, "clearing"),
        (300, "cleared"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.csv", "when,what\n1,2\n", "the header must be time,expr,labels,value"),
        ("m.csv", "time,expr,labels,value\nsoon,query,a=b,1\n", "m.csv:2:"),
        ("m.csv", "time,expr,labels,value\n1,query,oops,1\n", "labels are name=value"),
        ("m.json", "{not json", "not JSON"),
        ("m.json", '{"q": {"resultType": "vector", "result": []}}', "resultType matrix"),
    ],
)
async def test_bad_recordings_say_where(config, write_playbook, tmp_path, name, text, message):
    write_playbook("outage", PLAYBOOK)
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(RecordingError, match=message):
        await simulate(config, "outage", path)


async def test_a_playbook_without_metric_trigger_is_refused(config, write_playbook, tmp_path):
    write_playbook("manual", "id: manual\ntitle: M\nsteps: [{action: log, with: {message: m}}]\n")
    with pytest.raises(RecordingError, match="has no metric trigger"):
        await simulate(config, "manual", recording(tmp_path))
    with pytest.raises(RecordingError, match="no playbook 'nope'"):
        await simulate(config, "nope", recording(tmp_path))


async def test_times_without_an_offset_are_utc_and_bad_intervals_are_refused(
    config, write_playbook, tmp_path
):
    write_playbook("outage", PLAYBOOK)
    path = tmp_path / "m.csv"
    path.write_text(
        "time,expr,labels,value\n"
        + "".join(f"2025-11-25T08:00:{s:02d},query,channel=web,9\n" for s in (0, 15, 30, 45))
    )
    result = await simulate(config, "outage", path, interval=15)
    assert result.start.isoformat() == "2025-11-25T08:00:00+00:00"
    with pytest.raises(RecordingError, match="more than 0"):
        await simulate(config, "outage", path, interval=-60)
    (tmp_path / "empty.csv").write_text("time,expr,labels,value\n")
    with pytest.raises(RecordingError, match="no points"):
        await simulate(config, "outage", tmp_path / "empty.csv")
