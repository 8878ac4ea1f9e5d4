"""Metric triggers: PromQL conditions with `for`, a separate clear condition with its own
`clear_for`, and `unknown` when there is no data, evaluated on a clock that may be virtual.

Each series of each metric trigger moves through inactive → pending → firing → clearing →
inactive; its phase and since-when are stored, so a restart keeps every timer. No data and
an unreachable Prometheus never count as clear: the series becomes unknown and its incident
stays as it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from surge.engine.engine import Engine
from surge.playbook.model import MetricTrigger, Playbook
from surge.playbook.params import ParamError, coerce_params
from surge.store.records import Admitted, Silence, TriggerPhase, TriggerState
from surge.templating import TemplateError
from surge.triggers.admission import Admission, Signal
from surge.triggers.prometheus import DataSource, PrometheusUnavailable, Sample

log = logging.getLogger(__name__)
ACTOR = "prometheus"
_HELD = (Admitted.SILENCED, Admitted.COOLDOWN, Admitted.CAPPED)


@dataclass(frozen=True)
class Transition:
    """Something a series did, for logs, tests and ``surge simulate``."""

    at: datetime
    playbook: str
    trigger: int
    series: str
    event: str  # pending, opened, joined, duplicate, silenced, cooldown, capped, invalid,
    #             firing, clearing, cleared, unknown, recovered, inactive
    incident: int | None = None
    detail: str = ""


def series_key(labels: Mapping[str, str]) -> str:
    return json.dumps(
        {k: v for k, v in sorted(labels.items()) if k != "__name__"},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def series_text(key: str) -> str:
    labels = json.loads(key)
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


@dataclass
class _Round:
    """One evaluation's bookkeeping."""

    at: datetime
    silences: list[Silence]
    saved: list[TriggerState] = field(default_factory=list)
    removed: list[TriggerState] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)


class MetricWatcher:
    def __init__(
        self,
        engine: Engine,
        admission: Admission,
        source: DataSource,
        only: set[tuple[str, int]] | None = None,
    ) -> None:
        self.engine = engine
        self.only = only  # (playbook, trigger index) to evaluate; None: all
        self.admission = admission
        self.source = source
        self.health: dict[tuple[str, int], str] = {}  # "ok", or "unknown: why"
        self._held: dict[tuple[str, int, str], str] = {}  # last held-back outcome per series

    async def evaluate(self, at: datetime) -> list[Transition]:
        """Evaluate every metric trigger once, at ``at``; store and return what changed."""
        store = self.engine.store
        stored = await store.trigger_states()
        by_trigger: dict[tuple[str, int], dict[str, TriggerState]] = {}
        for state in stored:
            by_trigger.setdefault((state.playbook_id, state.trigger), {})[state.series] = state
        work = _Round(at, await store.list_silences(unexpired_at=at))
        for playbook in self.engine.playbooks.all():
            for index, trigger in enumerate(playbook.triggers):
                if isinstance(trigger, MetricTrigger) and self._wanted(playbook.id, index):
                    states = by_trigger.get((playbook.id, index), {})
                    await self._trigger(work, playbook, index, trigger, states)
        await store.save_trigger_states(work.saved, work.removed)
        self._export(await store.trigger_states())
        return work.transitions

    def _wanted(self, playbook: str, index: int) -> bool:
        return self.only is None or (playbook, index) in self.only

    async def _trigger(
        self,
        work: _Round,
        playbook: Playbook,
        index: int,
        trigger: MetricTrigger,
        states: dict[str, TriggerState],
    ) -> None:
        try:
            firing = _by_series(await self.source.query(trigger.query, work.at))
            clear = (
                _by_series(await self.source.query(trigger.clear, work.at)) if trigger.clear else {}
            )
            data = (
                _by_series(await self.source.query(trigger.data, work.at)) if trigger.data else None
            )
        except PrometheusUnavailable as error:
            self.health[(playbook.id, index)] = f"unknown: {error}"
            for state in states.values():
                await self._unknown(work, playbook, state, f"Prometheus could not answer: {error}")
            return
        self.health[(playbook.id, index)] = "ok"
        for key in sorted(set(firing) | set(states)):
            sample = firing.get(key) or clear.get(key) or (data or {}).get(key)
            fire, calm = key in firing, key in clear and key not in firing
            # without a `data` query, a series in neither answer is taken to lie between
            # the two thresholds; with one, a series missing from it too has no data
            present = fire or calm or data is None or key in data
            step = _Step(work, playbook, index, trigger, key, sample, fire, calm, present)
            await self._series(step, states.get(key))

    async def _series(self, step: _Step, state: TriggerState | None) -> None:
        if state is not None and state.incident_id is not None:
            incident = await self.engine.store.get_incident(state.incident_id)
            if incident is None or not incident.status.is_open:
                self._drop(step, state, f"incident {state.incident_id} was closed")
                state = None
        if state is None:
            if step.fire:
                await self._pending(step)
            return
        handler = {
            TriggerPhase.PENDING: self._from_pending,
            TriggerPhase.FIRING: self._from_firing,
            TriggerPhase.CLEARING: self._from_clearing,
            TriggerPhase.UNKNOWN: self._from_unknown,
        }.get(state.phase)
        if handler is not None:
            await handler(step, state)

    async def _pending(self, step: _Step) -> None:
        state = step.new_state(TriggerPhase.PENDING)
        step.note("pending")
        await self._from_pending(step, state)

    async def _from_pending(self, step: _Step, state: TriggerState) -> None:
        if not step.fire:
            self._drop(step, state, "the condition stopped holding before `for`")
            return
        if (step.work.at - state.since).total_seconds() < step.trigger.for_:
            step.keep(state)
            return
        await self._fire(step, state)

    async def _from_firing(self, step: _Step, state: TriggerState) -> None:
        if step.clear:
            clearing = step.moved(state, TriggerPhase.CLEARING)
            step.note("clearing", state.incident_id)
            await self._from_clearing(step, clearing)
        elif step.fire or step.present:
            step.keep(state)  # still bad, or between the thresholds: not clear yet
        else:
            await self._unknown(step.work, step.playbook, state, "no data for this series")

    async def _from_clearing(self, step: _Step, state: TriggerState) -> None:
        if step.fire or (step.present and not step.clear):
            step.keep(step.moved(state, TriggerPhase.FIRING))
            why = "the condition holds again" if step.fire else "the clear condition stopped"
            step.note("firing", state.incident_id, why)
        elif not step.clear:
            await self._unknown(step.work, step.playbook, state, "no data for this series")
        elif (step.work.at - state.since).total_seconds() >= step.trigger.clear_for:
            await self._clear(step, state)
        else:
            step.keep(state)

    async def _from_unknown(self, step: _Step, state: TriggerState) -> None:
        if state.incident_id is None:
            if step.fire:
                await self._pending(step)
            else:
                self._drop(step, state, "")
            return
        if step.present:
            phase = TriggerPhase.CLEARING if step.clear else TriggerPhase.FIRING
            step.keep(step.moved(state, phase))
            step.note("recovered", state.incident_id, f"data again: {phase.value}")
        else:
            step.keep(state)

    async def _fire(self, step: _Step, state: TriggerState) -> None:
        labels = dict(state.labels)
        if self.admission.silenced(step.playbook, labels, "metric", step.work.silences):
            self._held_back(step, state, Admitted.SILENCED.value, "")
            return
        try:
            params = coerce_params(step.playbook, self._params(step))
        except (ParamError, TemplateError) as error:
            problems = error.problems if isinstance(error, ParamError) else [str(error)]
            self._held_back(step, state, "invalid", "; ".join(problems))
            return
        signal = Signal(
            playbook=step.playbook,
            params=params,
            source="metric",
            actor=ACTOR,
            labels=labels,
            annotations={},
            fingerprint=step.fingerprint,
            dedupe_key=f"{step.fingerprint}@{state.since.timestamp()}",
            summary=f"{step.trigger.query} {series_text(step.key)} = {state.value:g}",
        )
        result = await self.admission.admit(signal)
        if result.outcome in _HELD:
            self._held_back(step, state, result.outcome.value, "")
            return
        incident = result.incident.id if result.incident else None
        self._held.pop(step.held_key, None)
        step.keep(replace(step.moved(state, TriggerPhase.FIRING), incident_id=incident))
        step.note(result.outcome.value, incident)

    def _params(self, step: _Step) -> dict[str, Any]:
        context = {"labels": step.labels, "annotations": {}, "value": step.value}
        return {
            name: self.engine.templates.render(template, context)
            for name, template in step.trigger.params.items()
        }

    def _held_back(self, step: _Step, state: TriggerState, outcome: str, detail: str) -> None:
        """Silenced, cooling down, capped or invalid: stay pending and try again next time."""
        step.keep(state)
        if self._held.get(step.held_key) != outcome:
            self._held[step.held_key] = outcome
            step.note(outcome, None, detail)

    async def _clear(self, step: _Step, state: TriggerState) -> None:
        summary = f"{step.trigger.clear} {series_text(step.key)} held {step.trigger.clear_for:g}s"
        incident = await self.admission.clear(
            step.playbook, step.fingerprint, step.trigger.on_clear, ACTOR, summary
        )
        step.work.removed.append(state)
        step.note("cleared", incident.id if incident else None, step.trigger.on_clear)

    async def _unknown(
        self, work: _Round, playbook: Playbook, state: TriggerState, why: str
    ) -> None:
        if state.phase is TriggerPhase.UNKNOWN:
            work.saved.append(state)
            return
        work.saved.append(
            replace(state, phase=TriggerPhase.UNKNOWN, since=work.at, updated_at=work.at)
        )
        work.transitions.append(
            Transition(
                work.at,
                playbook.id,
                state.trigger,
                series_text(state.series),
                "unknown",
                state.incident_id,
                why,
            )
        )
        if state.incident_id is not None:
            await self.engine.note(
                state.incident_id,
                ACTOR,
                "trigger.unknown",
                f"metric trigger unknown for {series_text(state.series)}: {why}; "
                "the incident is not cleared",
            )

    def _drop(self, step: _Step, state: TriggerState, why: str) -> None:
        step.work.removed.append(state)
        self._held.pop(step.held_key, None)
        step.note("inactive", state.incident_id, why)

    def forget(self) -> None:
        """Drop what this process knew, when another replica takes over the evaluation."""
        self.health.clear()
        self._held.clear()
        self.engine.metrics.trigger_state.clear()

    def _export(self, states: list[TriggerState]) -> None:
        counts: dict[tuple[str, int, str], int] = {}
        for state in states:
            key = (state.playbook_id, state.trigger, state.phase.value)
            counts[key] = counts.get(key, 0) + 1
        for (playbook, index), health in self.health.items():
            if health != "ok":
                counts.setdefault((playbook, index, "unknown"), 1)
        gauge = self.engine.metrics.trigger_state
        gauge.clear()
        for (playbook, index), _ in self.health.items():
            for phase in TriggerPhase:
                gauge.labels(playbook=playbook, trigger=str(index), state=phase.value).set(
                    counts.get((playbook, index, phase.value), 0)
                )


@dataclass
class _Step:
    """One series of one trigger in one evaluation."""

    work: _Round
    playbook: Playbook
    index: int
    trigger: MetricTrigger
    key: str
    sample: Sample | None
    fire: bool
    clear: bool
    present: bool  # the series has data (in an answer, or assumed without a `data` query)

    @property
    def labels(self) -> dict[str, str]:
        return {
            k: v for k, v in (self.sample.labels if self.sample else {}).items() if k != "__name__"
        } or json.loads(self.key)

    @property
    def value(self) -> float | None:
        return self.sample.value if self.sample else None

    @property
    def fingerprint(self) -> str:
        return f"metric:{self.index}:{self.key}"

    @property
    def held_key(self) -> tuple[str, int, str]:
        return (self.playbook.id, self.index, self.key)

    def new_state(self, phase: TriggerPhase) -> TriggerState:
        return TriggerState(
            self.playbook.id,
            self.index,
            self.key,
            phase,
            self.work.at,
            self.labels,
            self.value,
            None,
            self.work.at,
        )

    def moved(self, state: TriggerState, phase: TriggerPhase) -> TriggerState:
        return replace(
            state, phase=phase, since=self.work.at, value=self.value, updated_at=self.work.at
        )

    def keep(self, state: TriggerState) -> None:
        self.work.saved.append(
            replace(
                state, value=self.value if self.sample else state.value, updated_at=self.work.at
            )
        )

    def note(self, event: str, incident: int | None = None, detail: str = "") -> None:
        self.work.transitions.append(
            Transition(
                self.work.at,
                self.playbook.id,
                self.index,
                series_text(self.key),
                event,
                incident,
                detail,
            )
        )


def _by_series(samples: list[Sample]) -> dict[str, Sample]:
    return {series_key(sample.labels): sample for sample in samples}
