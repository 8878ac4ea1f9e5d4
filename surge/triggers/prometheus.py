"""Asking Prometheus: instant queries over its HTTP API, and the same questions answered
from recorded series for ``surge simulate``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from surge.config import PrometheusSettings

if TYPE_CHECKING:
    from surge.services import Services


class PrometheusUnavailable(Exception):
    """The query could not be answered: unreachable, an error status, or a bad answer."""


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float


class DataSource(Protocol):
    async def query(self, expression: str, at: datetime) -> list[Sample]:
        """The instant vector ``expression`` gives at ``at``; raise PrometheusUnavailable."""
        ...


class PrometheusClient:
    def __init__(self, settings: PrometheusSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session

    async def query(self, expression: str, at: datetime) -> list[Sample]:
        url = f"{self.settings.url}/api/v1/query"
        params = {"query": expression, "time": f"{at.timestamp():.3f}"}
        try:
            async with self.session.get(
                url,
                params=params,
                headers=self.settings.request_headers(),
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            ) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise PrometheusUnavailable(
                f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            reason = body.get("error") if isinstance(body, dict) else None
            raise PrometheusUnavailable(f"HTTP {response.status}: {reason or 'not a query result'}")
        return parse_vector(body.get("data"))


def query_source(
    services: Services, settings: PrometheusSettings | None, session: aiohttp.ClientSession
) -> DataSource | None:
    """Where PromQL is answered: the source the runtime was given (the demo's simulator),
    else the configured Prometheus, else nowhere."""
    if services.metrics is not None:
        return services.metrics
    return PrometheusClient(settings, session) if settings is not None else None


def parse_vector(data: Any) -> list[Sample]:
    """Samples from the ``data`` of an instant query (vector or scalar)."""
    if not isinstance(data, dict):
        raise PrometheusUnavailable("the answer has no data")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return [Sample({}, _number(result[1]))]
    if kind != "vector" or not isinstance(result, list):
        raise PrometheusUnavailable(f"expected a vector, got {kind!r}")
    samples = []
    for item in result:
        metric, value = item.get("metric", {}), item.get("value")
        if not isinstance(metric, dict) or not isinstance(value, list) or len(value) != 2:
            raise PrometheusUnavailable("a sample in the answer is malformed")
        number = _number(value[1])
        if not math.isnan(number):
            samples.append(Sample({str(k): str(v) for k, v in metric.items()}, number))
    return samples


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise PrometheusUnavailable(f"{text!r} is not a sample value") from None


@dataclass(frozen=True)
class Recorded:
    """One recorded series: its labels and (time, value) points in time order."""

    labels: Mapping[str, str]
    points: Sequence[tuple[float, float]]


class RecordedSource:
    """Answers instant queries from recorded query results (what a range query returns):
    a series is in the answer when it has a point at or before the time asked, less than
    one recording step earlier; a gap in the recording is a time the series was absent."""

    def __init__(self, series: Mapping[str, Sequence[Recorded]]) -> None:
        self.series = series
        gaps = [
            later[0] - earlier[0]
            for group in series.values()
            for recorded in group
            for earlier, later in zip(recorded.points, recorded.points[1:], strict=False)
            if later[0] > earlier[0]
        ]
        self.step = min(gaps) if gaps else 300.0

    async def query(self, expression: str, at: datetime) -> list[Sample]:
        if expression not in self.series:
            raise PrometheusUnavailable(f"no recorded series for {expression!r}")
        moment = at.timestamp()
        samples = []
        for recorded in self.series[expression]:
            latest = _latest(recorded.points, moment)
            if latest is not None and moment - latest[0] < self.step:
                samples.append(Sample(recorded.labels, latest[1]))
        return samples

    def span(self) -> tuple[float, float]:
        times = [t for group in self.series.values() for r in group for t, _ in r.points]
        if not times:
            raise ValueError("the recording has no points")
        return min(times), max(times)


def _latest(points: Sequence[tuple[float, float]], moment: float) -> tuple[float, float] | None:
    found = None
    for point in points:
        if point[0] > moment:
            break
        found = point
    return found
