"""Metric triggers on a virtual clock: for, clear_for, unknown, join, cooldown, cap, silences."""

from __future__ import annotations

import pytest

from surge.store.records import IncidentStatus, Silence, TriggerPhase
from surge.triggers.admission import Admission
from surge.triggers.watcher import MetricWatcher

DATA = "sum by (channel) (rate(errors_total[5m]))"
QUERY = f"{DATA} > 5"
CLEAR = f"{DATA} < 0.5"

PLAYBOOK = f"""
id: outage
title: Channel outage
params:
  channel: {{type: string, required: true}}
  rate: {{type: float, default: 0}}
triggers:
  - metric:
      query: "{QUERY}"
      for: 30s
      clear: "{CLEAR}"
      clear_for: 60s
      data: "{DATA}"
      on_clear: resolve
      params: {{channel: "{{{{ labels.channel }}}}", rate: "{{{{ value }}}}"}}
group_by: [channel]
cooldown: 5m
max_open: 2
steps:
  - id: note
    action: log
    with: {{message: "{{{{ params.channel }}}} at {{{{ params.rate }}}}"}}
"""

WEB = {"channel": "web"}
APP = {"channel": "app"}


class Watch:
    """Evaluate at a given second after T0; inspect the store."""

    def __init__(self, runtime, watcher, at):
        self.runtime = runtime
        self.watcher = watcher
        self.at = at

    async def __call__(self, seconds: float) -> list[tuple[str, str, int | None]]:
        transitions = await self.watcher.evaluate(self.at(seconds))
        return [(t.event, t.series, t.incident) for t in transitions]

    async def incidents(self):
        return sorted(await self.runtime.store.list_incidents(), key=lambda i: i.id)

    async def phases(self):
        states = await self.runtime.store.trigger_states()
        return {state.labels.get("channel"): state.phase for state in states}

    @property
    def key(self) -> str:
        key: str = self.runtime.playbooks.get("outage").triggers[0].key
        return key

    def gauge(self, state: str) -> float | None:
        registry = self.runtime.engine.metrics.registry
        value: float | None = registry.get_sample_value(
            "surge_trigger_state", {"playbook": "outage", "trigger": self.key, "state": state}
        )
        return value


@pytest.fixture
async def watch(write_playbook, make_runtime, clock, prometheus, at) -> Watch:
    write_playbook("outage", PLAYBOOK)
    prometheus.set(DATA, (WEB, 3), (APP, 3))  # both channels report, whatever their rate
    runtime = await make_runtime(start=False)
    runtime.engine.clock = clock
    watcher = MetricWatcher(runtime.engine, Admission(runtime.engine), prometheus)
    return Watch(runtime, watcher, at)


async def test_fires_only_after_for_and_carries_labels_and_value(watch, prometheus):
    prometheus.set(QUERY, (WEB, 7.5))
    assert await watch(0) == [("pending", '{channel="web"}', None)]
    assert await watch(15) == []
    assert await watch(29) == []
    [(event, series, incident_id)] = await watch(30)
    assert (event, series) == ("opened", '{channel="web"}')
    [incident] = await watch.incidents()
    assert incident.id == incident_id
    assert incident.trigger == "metric"
    assert incident.triggered_by == "prometheus"
    assert incident.params == {"channel": "web", "rate": 7.5}
    assert incident.context["labels"] == {"channel": "web"}
    assert await watch.phases() == {"web": TriggerPhase.FIRING}


async def test_a_condition_that_stops_before_for_never_fires(watch, prometheus):
    prometheus.set(QUERY, (WEB, 7.5))
    await watch(0)
    prometheus.set(QUERY)
    assert await watch(20) == [("inactive", '{channel="web"}', None)]
    prometheus.set(QUERY, (WEB, 7.5))
    await watch(25)
    assert await watch(45) == []  # the timer started again at 25
    assert await watch.incidents() == []


async def test_series_of_one_group_share_an_incident_and_others_open_their_own(watch, prometheus):
    prometheus.set(QUERY, (WEB | {"pod": "a"}, 7), (WEB | {"pod": "b"}, 9), (APP, 6))
    await watch(0)
    events = await watch(30)
    assert sorted(event for event, _, _ in events) == ["joined", "opened", "opened"]
    first, second = await watch.incidents()
    assert {first.params["channel"], second.params["channel"]} == {"web", "app"}
    web = first if first.params["channel"] == "web" else second
    timeline = await watch.runtime.store.timeline(web.id)
    assert [entry.kind for entry in timeline].count("metric.joined") == 1


async def test_clears_only_after_clear_for_and_firing_again_resets_it(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    prometheus.set(QUERY)
    prometheus.set(CLEAR, (WEB, 0.1))
    assert await watch(60) == [("clearing", '{channel="web"}', 1)]
    prometheus.set(QUERY, (WEB, 9))
    prometheus.set(CLEAR)
    assert await watch(90) == [("firing", '{channel="web"}', 1)]
    prometheus.set(QUERY)
    prometheus.set(CLEAR, (WEB, 0.1))
    await watch(100)
    assert await watch(159) == []
    [incident] = await watch.incidents()
    assert incident.status is IncidentStatus.TRIGGERED
    assert await watch(160) == [("cleared", '{channel="web"}', 1)]
    [incident] = await watch.incidents()
    assert incident.status is IncidentStatus.RESOLVED
    assert await watch.phases() == {}


async def test_prometheus_down_makes_the_trigger_unknown_and_never_clears(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    prometheus.fail(QUERY)
    assert await watch(45) == [("unknown", "*", None), ("unknown", '{channel="web"}', 1)]
    assert await watch(600) == []  # stays unknown, and the incident stays open
    [incident] = await watch.incidents()
    assert incident.status is IncidentStatus.TRIGGERED
    timeline = await watch.runtime.store.timeline(1)
    notes = [entry.message for entry in timeline if entry.kind == "trigger.unknown"]
    assert len(notes) == 1
    assert "Prometheus could not answer: connection refused" in notes[0]
    assert watch.watcher.health[("outage", watch.key)] == "unknown: connection refused"
    assert watch.gauge("unknown") == 1
    prometheus.set(QUERY, (WEB, 9))
    assert await watch(615) == [("recovered", "*", None), ("recovered", '{channel="web"}', 1)]
    assert watch.watcher.health[("outage", watch.key)] == "ok"
    assert watch.gauge("firing") == 1
    assert watch.gauge("unknown") == 0


async def test_between_the_thresholds_a_series_stays_firing(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    prometheus.set(QUERY)  # 3: not above 5, not below 0.5
    assert await watch(45) == []
    assert await watch.phases() == {"web": TriggerPhase.FIRING}
    prometheus.set(CLEAR, (WEB, 0.1))
    await watch(60)
    prometheus.set(CLEAR)  # back between the thresholds before clear_for
    assert await watch(75) == [("firing", '{channel="web"}', 1)]
    assert watch.gauge("unknown") == 0


async def test_no_data_for_a_firing_series_is_unknown_not_clear(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    prometheus.set(QUERY)  # neither condition has the series,
    prometheus.set(DATA, (APP, 3))  # and neither has the data query
    assert await watch(45) == [("unknown", '{channel="web"}', 1)]
    await watch(500)
    [incident] = await watch.incidents()
    assert incident.status is IncidentStatus.TRIGGERED


async def test_a_restart_keeps_the_pending_timer(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    fresh = MetricWatcher(watch.runtime.engine, Admission(watch.runtime.engine), prometheus)
    transitions = await fresh.evaluate(watch.at(30))
    assert [t.event for t in transitions] == ["opened"]


async def test_cooldown_holds_back_a_refire_until_it_has_passed(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    await watch.runtime.engine.change_status(1, IncidentStatus.RESOLVED, "alice")
    assert [e for e, _, _ in await watch(40)] == ["inactive", "pending"]
    assert [e for e, _, _ in await watch(70)] == ["cooldown"]
    assert await watch(100) == []  # noted once, not on every round
    assert [e for e, _, _ in await watch(40 + 301)] == ["opened"]
    assert len(await watch.incidents()) == 2


async def test_max_open_caps_an_alert_storm_with_a_note(watch, prometheus):
    prometheus.set(QUERY, *(({"channel": f"c{n}"}, 9.0) for n in range(4)))
    await watch(0)
    events = sorted(e for e, _, _ in await watch(30))
    assert events == ["capped", "capped", "opened", "opened"]
    incidents = await watch.incidents()
    assert len(incidents) == 2
    timeline = await watch.runtime.store.timeline(incidents[-1].id)
    notes = [entry.message for entry in timeline if entry.kind == "storm"]
    assert len(notes) == 1
    assert "2 open incidents (max_open)" in notes[0]
    registry = watch.runtime.engine.metrics.registry
    labels = {"playbook": "outage", "source": "metric", "outcome": "capped"}
    assert registry.get_sample_value("surge_signals_total", labels) == 2


async def test_a_silence_holds_the_series_back_until_it_ends(watch, prometheus):
    silence = Silence(
        id=0,
        matchers=['channel="web"', 'playbook="outage"'],
        starts_at=watch.at(0),
        ends_at=watch.at(120),
        comment="planned work",
        created_by="test",
        created_at=watch.at(0),
    )
    await watch.runtime.store.add_silence(silence)
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    assert [e for e, _, _ in await watch(30)] == ["silenced"]
    assert await watch(60) == []
    assert await watch.incidents() == []
    assert [e for e, _, _ in await watch(120)] == ["opened"]


async def test_reordering_triggers_keeps_timers_and_incidents(
    watch, prometheus, write_playbook, make_runtime, clock
):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    write_playbook("outage", PLAYBOOK.replace("triggers:\n", "triggers:\n  - manual\n"))
    again = await make_runtime(start=False)
    again.engine.clock = clock
    watcher = MetricWatcher(again.engine, Admission(again.engine), prometheus)
    assert await watcher.evaluate(watch.at(45)) == []  # still the same firing series
    prometheus.set(QUERY)
    prometheus.set(CLEAR, (WEB, 0.1))
    await watcher.evaluate(watch.at(60))
    events = [t.event for t in await watcher.evaluate(watch.at(120))]
    assert events == ["cleared"]
    [incident] = await again.store.list_incidents()
    assert incident.status is IncidentStatus.RESOLVED


async def test_an_edited_query_drops_the_old_timers_and_tells_the_incident(
    watch, prometheus, write_playbook, make_runtime, clock
):
    prometheus.set(QUERY, (WEB, 9))
    await watch(0)
    await watch(30)
    write_playbook("outage", PLAYBOOK.replace("> 5", "> 6"))
    again = await make_runtime(start=False)
    again.engine.clock = clock
    await MetricWatcher(again.engine, Admission(again.engine), prometheus).evaluate(watch.at(45))
    assert await again.store.trigger_states() == []
    notes = [e.message for e in await again.store.timeline(1) if e.kind == "trigger.removed"]
    assert len(notes) == 1
    assert "no longer clears by itself" in notes[0]


async def test_a_round_that_lost_its_lease_stores_nothing(watch, prometheus):
    prometheus.set(QUERY, (WEB, 9))

    async def lost() -> bool:
        return False

    assert await watch.watcher.evaluate(watch.at(0), fence=lost) == []
    assert await watch.runtime.store.trigger_states() == []


async def test_a_held_back_series_is_counted_once_per_episode(watch, prometheus):
    silence = Silence(
        id=0,
        matchers=['channel="web"'],
        starts_at=watch.at(0),
        ends_at=watch.at(3600),
        comment="c",
        created_by="t",
        created_at=watch.at(0),
    )
    await watch.runtime.store.add_silence(silence)
    prometheus.set(QUERY, (WEB, 9))
    for second in range(0, 300, 15):
        await watch(second)
    registry = watch.runtime.engine.metrics.registry
    labels = {"playbook": "outage", "source": "metric", "outcome": "silenced"}
    assert registry.get_sample_value("surge_signals_total", labels) == 1


async def test_a_maintenance_window_holds_back_its_component(
    watch, prometheus, write_playbook, make_runtime, clock
):
    write_playbook("outage", PLAYBOOK + 'components: ["chat-{{ params.channel }}"]\n')
    runtime = await make_runtime(start=False)
    runtime.engine.clock = clock
    watcher = MetricWatcher(runtime.engine, Admission(runtime.engine), prometheus)
    window = Silence(
        id=0,
        matchers=[],
        components=["chat-web"],
        starts_at=watch.at(0),
        ends_at=watch.at(600),
        comment="upgrade",
        created_by="t",
        created_at=watch.at(0),
    )
    await runtime.store.add_silence(window)
    prometheus.set(QUERY, (WEB, 9), (APP, 9))
    await watcher.evaluate(watch.at(0))
    events = sorted((t.series, t.event) for t in await watcher.evaluate(watch.at(30)))
    assert events == [('{channel="app"}', "opened"), ('{channel="web"}', "silenced")]
