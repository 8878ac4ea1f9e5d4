"""Deciding what an alert or a firing metric does: open an incident, join one, or nothing.

Alerts and metric conditions go through the same steps: silences first, then the store's
one-transaction admission (duplicate, join the group's open incident, cooldown, cap,
open). Clearing goes through here too, so a group's incident is cleared only when the
last of its signals clears.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from surge.engine.engine import Engine, TransitionError
from surge.playbook.model import ClearAction, Playbook
from surge.store.records import (
    AdmitRequest,
    AdmitResult,
    Admitted,
    Incident,
    IncidentStatus,
    Silence,
    TimelineEntry,
)
from surge.triggers.silences import silence_active, silence_matches

CAP_NOTE_EVERY = 60.0  # seconds between "capped" notes on one playbook's newest incident


@dataclass(frozen=True)
class Signal:
    """One alert, or one metric series that held its condition long enough."""

    playbook: Playbook
    params: dict[str, Any]
    source: str  # "alert" or "metric"
    actor: str  # who sent it: a token's name, "prometheus"
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    fingerprint: str
    dedupe_key: str
    summary: str  # one line for the timeline
    # a start by another incident's step (playbook.trigger): see ``AdmitRequest.once``
    once: bool = False
    # kept on the incident's context and on its opened or joined entry, e.g. the
    # incident whose step started it: ``{"parent": {"incident": 4, "step": "chain"}}``
    links: Mapping[str, Any] = field(default_factory=dict)


def silence_labels(playbook: Playbook, labels: Mapping[str, str], source: str) -> dict[str, str]:
    """What silences match on: the signal's labels plus ``playbook`` and ``trigger``."""
    return {**labels, "playbook": playbook.id, "trigger": source}


class Admission:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._capped_noted: dict[str, float] = {}

    def silenced(
        self,
        playbook: Playbook,
        labels: Mapping[str, str],
        source: str,
        silences: Sequence[Silence],
        components: Sequence[str] | None = None,
    ) -> bool:
        """Whether an active silence holds this signal back.

        Asked first with the labels alone, so a silenced alert is never rendered or
        reported as invalid; then again with the signal's components (maintenance)."""
        at = self.engine.clock()
        seen = silence_labels(playbook, labels, source)
        return any(silence_active(s, at) and silence_matches(s, seen, components) for s in silences)

    def components(
        self, playbook: Playbook, params: Mapping[str, Any], context: Mapping[str, Any]
    ) -> list[str]:
        """The components the signal's incident would concern (rendered ``components``)."""
        values = {"params": params, **context}
        rendered = (self.engine.templates.render(text, values) for text in playbook.components)
        return [str(name) for name in rendered if name not in (None, "")]

    def count(self, playbook: Playbook, source: str, outcome: str) -> None:
        """``surge_signals_total``: alerts count per delivery, metric series per episode
        (a series held back round after round counts once)."""
        self.engine.metrics.signals.labels(
            playbook=playbook.id, source=source, outcome=outcome
        ).inc()

    async def admit(self, signal: Signal) -> AdmitResult:
        """Open, join or hold back; the caller has checked silences (``silenced``)."""
        engine = self.engine
        at = engine.clock()
        playbook = signal.playbook
        context = {
            "labels": dict(signal.labels),
            "annotations": dict(signal.annotations),
            "fingerprint": signal.fingerprint,
            **signal.links,
        }
        new = engine.prepare(
            playbook,
            signal.params,
            actor=signal.actor,
            source=signal.source,
            context=context,
            group_key=playbook.group_key(signal.params),
        )
        joined = TimelineEntry(
            0,
            at,
            signal.actor,
            f"{signal.source}.joined",
            f"{signal.source} joined: {signal.summary}",
            {"labels": dict(signal.labels), "fingerprint": signal.fingerprint, **signal.links},
        )
        request = AdmitRequest(
            incident=new.incident,
            first_runs=new.first_runs,
            opened=replace(new.opened, data={**new.opened.data, **signal.links}),
            joined=joined,
            cooldown=playbook.cooldown,
            max_open=playbook.max_open,
            fingerprint=signal.fingerprint,
            labels=dict(signal.labels),
            dedupe_key=signal.dedupe_key,
            once=signal.once,
        )
        result = await engine.store.admit(request, at)
        if result.outcome is Admitted.OPENED and result.incident is not None:
            engine.opened(result.incident)
        elif result.outcome is Admitted.JOINED and result.incident is not None:
            await self._came_back(result.incident, signal)
        elif result.outcome is Admitted.CAPPED and result.incident is not None:
            await self._note_capped(playbook, result.incident, signal)
        return result

    async def _came_back(self, incident: Incident, signal: Signal) -> None:
        """A signal joined a mitigated incident: the problem is back, so it fires again."""
        if incident.status is not IncidentStatus.MITIGATED:
            return
        with contextlib.suppress(TransitionError):  # someone closed it meanwhile
            await self.engine.change_status(
                incident.id,
                IncidentStatus.TRIGGERED,
                signal.actor,
                f"the problem is back: {signal.summary}",
            )

    async def _note_capped(self, playbook: Playbook, newest: Incident, signal: Signal) -> None:
        now = self.engine.clock().timestamp()  # the engine's clock: virtual in a replay
        if now - self._capped_noted.get(playbook.id, -CAP_NOTE_EVERY) < CAP_NOTE_EVERY:
            return
        self._capped_noted[playbook.id] = now
        await self.engine.note(
            newest.id,
            signal.actor,
            "storm",
            f"alert storm: {playbook.id} has {playbook.max_open} open incidents (max_open); "
            f"new groups are held back until some close (latest: {signal.summary})",
        )

    async def clear(
        self, playbook: Playbook, fingerprint: str, on_clear: ClearAction, actor: str, summary: str
    ) -> Incident | None:
        """A signal stopped: act on its incident once none of the incident's signals fire."""
        engine = self.engine
        cleared = await engine.store.clear_signal(playbook.id, fingerprint, engine.clock())
        if cleared is None:
            return None
        incident, still_firing = cleared
        if not incident.status.is_open:
            return incident
        if still_firing:
            await engine.note(
                incident.id,
                actor,
                "signal.cleared",
                f"cleared: {summary}; {still_firing} signal(s) still firing",
            )
            return incident
        return await self._on_clear(incident, on_clear, actor, summary)

    async def _on_clear(
        self, incident: Incident, on_clear: ClearAction, actor: str, summary: str
    ) -> Incident:
        engine = self.engine
        target = {"resolve": IncidentStatus.RESOLVED, "mitigate": IncidentStatus.MITIGATED}
        if on_clear in target:
            try:
                return await engine.change_status(
                    incident.id,
                    target[on_clear],
                    actor,
                    f"cleared: {summary}",
                    only_if_quiet=True,
                )
            except TransitionError as error:
                await engine.note(
                    incident.id, actor, "signal.cleared", f"cleared: {summary} ({error})"
                )
                return incident
        await engine.note(incident.id, actor, "signal.cleared", f"cleared: {summary}")
        return incident
