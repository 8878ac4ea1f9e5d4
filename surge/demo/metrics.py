"""The metrics simulator: a query source (``surge.triggers.prometheus.DataSource``) that
answers the playbooks' PromQL from the simulated world instead of from Prometheus.

It is put in the runtime's ``services.metrics``, where the metric watcher and
staff.call_in take their answers from, so the demo's incidents open, clear and call in
staff through the very code that watches a live Prometheus.
"""

from __future__ import annotations

from datetime import datetime

from surge.demo.promql import Node, Unsupported, evaluate, parse
from surge.demo.world import World
from surge.triggers.prometheus import PrometheusUnavailable, Sample


class SimulatedMetrics:
    def __init__(self, world: World, start: datetime) -> None:
        self.world = world
        self.start = start  # minute 0 of the world
        self._trees: dict[str, Node | Unsupported] = {}
        self.asked = 0

    def minute(self, at: datetime) -> float:
        return (at - self.start).total_seconds() / 60

    async def query(self, expression: str, at: datetime) -> list[Sample]:
        self.asked += 1
        tree = self._tree(expression)
        if isinstance(tree, Unsupported):
            raise PrometheusUnavailable(f"the demo cannot answer this query: {tree}")
        minute = self.minute(at)
        value = evaluate(tree, lambda signal: self.world.samples(signal, minute))
        if not isinstance(value, dict):
            return [Sample({}, value)]
        return [Sample(dict(key), number) for key, number in sorted(value.items())]

    def _tree(self, expression: str) -> Node | Unsupported:
        if expression not in self._trees:
            try:
                self._trees[expression] = parse(expression, self.world.signals)
            except Unsupported as error:
                self._trees[expression] = error
        return self._trees[expression]
