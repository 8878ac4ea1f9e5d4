"""Metric triggers: PromQL conditions with `for`, a separate clear condition with its own
`clear_for`, and `unknown` when there is no data, evaluated on a clock that may be virtual.

Each series of each metric trigger moves through inactive → pending → firing → clearing →
inactive; its phase and since-when are stored, so a restart keeps every timer. No data and
an unreachable Prometheus never count as clear: the series becomes unknown and its incident
stays as it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
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
    trigger: str  # the trigger's key (its id, or a hash of its queries)
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


Fence = Callable[[], Awaitable[bool]]


class MetricWatcher:
    def __init__(
        self,
        engine: Engine,
        admission: Admission,
        source: DataSource,
        only: set[tuple[str, str]] | None = None,
    ) -> None:
        self.engine = engine
        self.only = only  # (playbook, trigger key) to evaluate; None: all
        self.admission = admission
        self.source = source
        self.health: dict[tuple[str, str], str] = {}  # "ok", or "unknown: why"
        self._held: dict[tuple[str, str, str], str] = {}  # last held-back outcome per series

    async def evaluate(self, at: datetime, fence: Fence | None = None) -> list[Transition]:
        """Evaluate every metric trigger once, at ``at``; store and return what changed.

        ``fence`` is asked before anything is stored: a replica that lost the lease in
        the middle of a round must not write stale phases over the new leader's."""
        store = self.engine.store
        by_trigger: dict[tuple[str, str], dict[str, TriggerState]] = {}
        for state in await store.trigger_states():
            by_trigger.setdefault((state.playbook_id, state.trigger), {})[state.series] = state
        work = _Round(at, await store.list_silences(unexpired_at=at))
        current = [
            (playbook, trigger)
            for playbook in self.engine.playbooks.all()
            for trigger in playbook.triggers
            if isinstance(trigger, MetricTrigger) and self._wanted(playbook.id, trigger.key)
        ]
        await asyncio.gather(
            *(
                self._guarded(
                    work, playbook, trigger, by_trigger.pop((playbook.id, trigger.key), {})
                )
                for playbook, trigger in current
            )
        )
        if self.only is None:
            await self._orphans(work, by_trigger)
        if fence is not None and not await fence():
            return []
        await store.save_trigger_states(work.saved, work.removed)
        self._export(await store.trigger_states())
        return work.transitions

    def _wanted(self, playbook: str, key: str) -> bool:
        return self.only is None or (playbook, key) in self.only

    async def _guarded(
        self,
        work: _Round,
        playbook: Playbook,
        trigger: MetricTrigger,
        states: dict[str, TriggerState],
    ) -> None:
        try:
            await self._trigger(work, playbook, trigger, states)
        except Exception:  # one broken trigger must not lose the others' round
            log.exception("metric trigger %s of %s failed this round", trigger.key, playbook.id)

    async def _orphans(
        self, work: _Round, left: dict[tuple[str, str], dict[str, TriggerState]]
    ) -> None:
        """Timers of triggers that no longer exist (edited or removed) are dropped, and
        their incidents told that they will not clear by themselves any more."""
        for (playbook_id, key), states in left.items():
            if self.engine.playbooks.get(playbook_id) is None:
                continue  # the playbook did not load this time; keep its timers
            for state in states.values():
                work.removed.append(state)
                if state.incident_id is None:
                    continue
                await self.engine.store.clear_signal(
                    playbook_id, f"metric:{key}:{state.series}", work.at
                )
                await self.engine.note(
                    state.incident_id,
                    ACTOR,
                    "trigger.removed",
                    f"the metric trigger for {series_text(state.series)} was changed or removed; "
                    "this incident no longer clears by itself",
                )

    async def _trigger(
        self,
        work: _Round,
        playbook: Playbook,
        trigger: MetricTrigger,
        states: dict[str, TriggerState],
    ) -> None:
        try:
            firing, clear, data = await asyncio.gather(
                self._ask(trigger.query, work.at),
                self._ask(trigger.clear, work.at),
                self._ask(trigger.data, work.at),
            )
        except PrometheusUnavailable as error:
            self._health(work, playbook, trigger, f"unknown: {error}")
            for state in states.values():
                await self._unknown(work, playbook, state, f"Prometheus could not answer: {error}")
            return
        self._health(work, playbook, trigger, "ok")
        firing, clear = firing or {}, clear or {}
        for key in sorted(set(firing) | set(states)):
            sample = firing.get(key) or clear.get(key) or (data or {}).get(key)
            fire, calm = key in firing, key in clear and key not in firing
            # without a `data` query, a series in neither answer is taken to lie between
            # the two thresholds; with one, a series missing from it too has no data
            present = fire or calm or data is None or key in data
            step = _Step(work, playbook, trigger, key, sample, fire, calm, present)
            await self._series(step, states.get(key))

    async def _ask(self, expression: str | None, at: datetime) -> dict[str, Sample] | None:
        if expression is None:
            return None
        return _by_series(await self.source.query(expression, at))

    def _health(
        self, work: _Round, playbook: Playbook, trigger: MetricTrigger, health: str
    ) -> None:
        """Record the trigger's health; a change is a transition of the whole trigger."""
        before = self.health.get((playbook.id, trigger.key), "ok")
        self.health[(playbook.id, trigger.key)] = health
        if before.startswith("unknown") != health.startswith("unknown"):
            event = "unknown" if health != "ok" else "recovered"
            work.transitions.append(
                Transition(
                    work.at,
                    playbook.id,
                    trigger.key,
                    "*",
                    event,
                    None,
                    health.removeprefix("unknown: "),
                )
            )

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
        context = {"labels": step.labels, "annotations": {}, "value": step.value}
        try:
            params = coerce_params(step.playbook, self._params(step))
            components = self.admission.components(step.playbook, params, context)
        except (ParamError, TemplateError) as error:
            problems = error.problems if isinstance(error, ParamError) else [str(error)]
            self._held_back(step, state, "invalid", "; ".join(problems))
            return
        if self.admission.silenced(step.playbook, labels, "metric", step.work.silences, components):
            self._held_back(step, state, Admitted.SILENCED.value, "maintenance")
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
        self.admission.count(step.playbook, "metric", result.outcome.value)
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
            self.admission.count(step.playbook, "metric", outcome)
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
        counts: dict[tuple[str, str, str], int] = {}
        for state in states:
            slot = (state.playbook_id, state.trigger, state.phase.value)
            counts[slot] = counts.get(slot, 0) + 1
        for (playbook, key), health in self.health.items():
            if health != "ok":
                counts.setdefault((playbook, key, "unknown"), 1)
        gauge = self.engine.metrics.trigger_state
        gauge.clear()
        for playbook, key in self.health:
            for phase in TriggerPhase:
                gauge.labels(playbook=playbook, trigger=key, state=phase.value).set(
                    counts.get((playbook, key, phase.value), 0)
                )


@dataclass
class _Step:
    """One series of one trigger in one evaluation."""

    work: _Round
    playbook: Playbook
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
        return f"metric:{self.trigger.key}:{self.key}"

    @property
    def held_key(self) -> tuple[str, str, str]:
        return (self.playbook.id, self.trigger.key, self.key)

    def new_state(self, phase: TriggerPhase) -> TriggerState:
        return TriggerState(
            self.playbook.id,
            self.trigger.key,
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
                self.trigger.key,
                series_text(self.key),
                event,
                incident,
                detail,
            )
        )


def _by_series(samples: list[Sample]) -> dict[str, Sample]:
    return {series_key(sample.labels): sample for sample in samples}
