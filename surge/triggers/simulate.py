"""``surge simulate``: recorded series replayed through the live metric watcher.

The watcher, the admission and the store are the real ones; only the clock (virtual),
the data source (the recording) and the store's file (a temporary one) differ. The engine
is never started and plugins are not told, so no step runs and nothing is sent.
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from surge.config import Config
from surge.playbook.library import PlaybookLibrary
from surge.playbook.model import MetricTrigger, Playbook, Step
from surge.runtime import build_runtime
from surge.triggers.admission import Admission
from surge.triggers.prometheus import Recorded, RecordedSource
from surge.triggers.watcher import MetricWatcher, Transition


class RecordingError(ValueError):
    """The metrics file cannot be read; the message says where and why."""


@dataclass
class Simulation:
    playbook: Playbook
    start: datetime
    end: datetime
    interval: float
    transitions: list[Transition]
    incidents: dict[int, list[Step]]  # incident -> the steps that would run


def metric_trigger(playbook: Playbook, index: int | None) -> tuple[int, MetricTrigger]:
    found = [(i, t) for i, t in enumerate(playbook.triggers) if isinstance(t, MetricTrigger)]
    if not found:
        raise RecordingError(f"playbook {playbook.id!r} has no metric trigger to replay")
    if index is None:
        return found[0]
    for i, trigger in found:
        if i == index:
            return i, trigger
    raise RecordingError(f"trigger {index} of {playbook.id!r} is not a metric trigger")


def load_recording(path: Path, trigger: MetricTrigger) -> RecordedSource:
    """CSV (``time,expr,labels,value``) or JSON (Prometheus range-query results by expr).

    ``expr`` may be the PromQL text, or ``query`` / ``clear`` / ``data`` for the trigger's
    own."""
    aliases = {
        "query": trigger.query,
        "clear": trigger.clear or "clear",
        "data": trigger.data or "data",
    }
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RecordingError(f"{path}: cannot read: {error}") from None
    series = _from_json(text, path) if path.suffix.lower() == ".json" else _from_csv(text, path)
    return RecordedSource({aliases.get(expr, expr): items for expr, items in series.items()})


def _from_csv(text: str, path: Path) -> dict[str, list[Recorded]]:
    rows = csv.DictReader(text.splitlines())
    if rows.fieldnames is None or not {"time", "expr", "value"} <= set(rows.fieldnames):
        raise RecordingError(f"{path}:1: the header must be time,expr,labels,value")
    points: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for line, row in enumerate(rows, start=2):
        try:
            key = (row["expr"].strip(), json.dumps(_labels(row.get("labels") or "")))
            points.setdefault(key, []).append((_time(row["time"]), float(row["value"])))
        except (ValueError, AttributeError) as error:
            raise RecordingError(f"{path}:{line}: {error}") from None
    series: dict[str, list[Recorded]] = {}
    for (expr, labels), found in points.items():
        series.setdefault(expr, []).append(Recorded(json.loads(labels), sorted(found)))
    return series


def _labels(text: str) -> dict[str, str]:
    text = text.strip()
    if text.startswith("{"):
        return {str(k): str(v) for k, v in json.loads(text).items()}
    pairs = [pair for pair in text.split(";") if pair.strip()]
    labels = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"labels are name=value;name=value, got {pair!r}")
        labels[name.strip()] = value.strip().strip('"')
    return labels


def _time(text: str) -> float:
    """Seconds since the epoch, or ISO 8601; a time without an offset is UTC."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _from_json(text: str, path: Path) -> dict[str, list[Recorded]]:
    try:
        body = json.loads(text)
    except ValueError as error:
        raise RecordingError(f"{path}: not JSON: {error}") from None
    if not isinstance(body, dict):
        raise RecordingError(f"{path}: expected an object of range-query results by expr")
    return {str(expr): _matrix(result, f"{path}: {expr}") for expr, result in body.items()}


def _matrix(result: Any, where: str) -> list[Recorded]:
    data = result.get("data", result) if isinstance(result, dict) else None
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        raise RecordingError(f"{where}: expected a range query result (resultType matrix)")
    try:
        return [
            Recorded(
                {str(k): str(v) for k, v in item["metric"].items()},
                sorted((float(t), float(v)) for t, v in item["values"]),
            )
            for item in data["result"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise RecordingError(f"{where}: malformed series: {error}") from None


async def simulate(
    config: Config,
    playbook_id: str,
    recording: Path,
    *,
    interval: float | None = None,
    trigger_index: int | None = None,
) -> Simulation:
    with tempfile.TemporaryDirectory(prefix="surge-simulate-") as scratch:
        dry = replace(config, store=f"sqlite:///{Path(scratch) / 'simulate.db'}")
        runtime = build_runtime(dry)
        playbook = runtime.playbooks.get(playbook_id)
        if playbook is None:
            known = ", ".join(item.id for item in runtime.playbooks.all()) or "none loaded"
            raise RecordingError(f"no playbook {playbook_id!r} (known: {known})")
        index, trigger = metric_trigger(playbook, trigger_index)
        source = load_recording(recording, trigger)
        if trigger.data and trigger.data not in source.series:
            # not recorded: replay as if the trigger had no data query (series between the
            # thresholds stay as they are rather than going unknown)
            triggers = list(playbook.triggers)
            triggers[index] = trigger = replace(trigger, data=None, id=trigger.key)
            playbook = replace(playbook, triggers=tuple(triggers))
        runtime.engine.playbooks = PlaybookLibrary({playbook.id: playbook})
        runtime.engine.events.enabled = False
        step = interval or (config.prometheus.interval if config.prometheus else 15.0)
        if step <= 0:
            raise RecordingError("the interval must be more than 0 seconds")
        try:
            first, last = source.span()
        except ValueError as error:
            raise RecordingError(f"{recording}: {error}") from None
        await runtime.open()
        try:
            moment = datetime.fromtimestamp(first, UTC)
            runtime.engine.clock = lambda: moment
            watcher = MetricWatcher(
                runtime.engine, Admission(runtime.engine), source, only={(playbook.id, trigger.key)}
            )
            transitions: list[Transition] = []
            while moment.timestamp() <= last:
                transitions.extend(await watcher.evaluate(moment))
                moment += timedelta(seconds=step)
        finally:
            await runtime.close()
    opened = {t.incident for t in transitions if t.event == "opened" and t.incident is not None}
    return Simulation(
        playbook,
        datetime.fromtimestamp(first, UTC),
        datetime.fromtimestamp(last, UTC),
        step,
        transitions,
        {incident: list(playbook.steps) for incident in sorted(opened)},
    )
