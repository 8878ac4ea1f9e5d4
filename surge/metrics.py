"""Prometheus metrics, one registry per engine so tests and embedders never share state.

Incident counts come from the store when metrics are scraped, so they include incidents
opened by any process on the store (the CLI, another replica) and survive restarts. Step
metrics count what this process ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from surge.store.records import IncidentStatus

Counts = Mapping[tuple[str, str, IncidentStatus], int]


class _StoreCounts(Collector):
    """Exposes the last snapshot of the store's incident counts."""

    def __init__(self) -> None:
        self.snapshot: Counts = {}

    def collect(self) -> Iterator[Metric]:
        opened = CounterMetricFamily(
            "surge_incidents", "Incidents opened", labels=["playbook", "trigger"]
        )
        totals: dict[tuple[str, str], int] = {}
        for (playbook, trigger, _), count in self.snapshot.items():
            totals[(playbook, trigger)] = totals.get((playbook, trigger), 0) + count
        for (playbook, trigger), count in sorted(totals.items()):
            opened.add_metric([playbook, trigger], count)
        yield opened
        still_open = sum(count for (_, _, status), count in self.snapshot.items() if status.is_open)
        yield GaugeMetricFamily(
            "surge_open_incidents", "Incidents not yet resolved or cancelled", value=still_open
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._counts = _StoreCounts()
        self.registry.register(self._counts)
        self.steps = Counter(
            "surge_steps_total",
            "Step attempts finished, by outcome",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.step_duration = Histogram(
            "surge_step_duration_seconds",
            "Time one step attempt's action took",
            ["action"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.signals = Counter(
            "surge_signals_total",
            "Alerts and metric firings, by what became of them "
            "(opened, joined, duplicate, silenced, cooldown, capped, invalid)",
            ["playbook", "source", "outcome"],
            registry=self.registry,
        )
        self.trigger_state = Gauge(
            "surge_trigger_state",
            "Series of each metric trigger by state (inactive, pending, firing, clearing, "
            "unknown); unknown is 1 while Prometheus cannot answer",
            ["playbook", "trigger", "state"],
            registry=self.registry,
        )
        self.escalations = Counter(
            "surge_escalations_total",
            "Escalations that ended, by policy and outcome (acknowledged, exhausted)",
            ["policy", "outcome"],
            registry=self.registry,
        )
        self.plugin_errors = Counter(
            "surge_plugin_errors_total",
            "Plugin calls that raised or timed out",
            ["plugin"],
            registry=self.registry,
        )
        self.subscription_deliveries = Counter(
            "surge_subscription_deliveries_total",
            "Attempts at delivering to subscribers, by channel (email, webhook) and outcome "
            "(sent, retry, failed, cancelled)",
            ["channel", "outcome"],
            registry=self.registry,
        )

    def set_incident_counts(self, counts: Counts) -> None:
        self._counts.snapshot = dict(counts)
