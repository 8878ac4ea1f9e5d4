"""Prometheus metrics, one registry per engine so tests and embedders never share state."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.incidents = Counter(
            "surge_incidents_total",
            "Incidents opened",
            ["playbook", "trigger"],
            registry=self.registry,
        )
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
        self.plugin_errors = Counter(
            "surge_plugin_errors_total",
            "Plugin calls that raised or timed out",
            ["plugin"],
            registry=self.registry,
        )
        self.open_incidents = Gauge(
            "surge_open_incidents",
            "Incidents not yet resolved or cancelled",
            registry=self.registry,
        )
