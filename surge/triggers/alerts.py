"""Alertmanager's webhook (payload version 4): which playbooks its alerts start or clear."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.engine.engine import Engine
from surge.playbook.model import AlertTrigger, Playbook
from surge.playbook.params import ParamError, coerce_params
from surge.store.records import Admitted, Silence
from surge.templating import TemplateError
from surge.triggers.admission import Admission, Signal

MAX_ALERTS = 1000  # per notification; Alertmanager batches far fewer


class PayloadError(ValueError):
    """The body is not an Alertmanager version-4 notification; the message says why."""


@dataclass(frozen=True)
class Alert:
    status: str  # firing or resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: str
    fingerprint: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "alert")

    def summary(self) -> str:
        shown = ", ".join(
            f"{key}={value}" for key, value in sorted(self.labels.items()) if key != "alertname"
        )
        return f"{self.name} ({shown})" if shown else self.name


@dataclass
class Outcome:
    fingerprint: str
    alert: str
    playbook: str
    outcome: str  # an Admitted value, "cleared", "not-open", "invalid"
    incident: int | None = None
    problems: list[str] = field(default_factory=list)


def parse_payload(body: Any) -> list[Alert]:
    if not isinstance(body, dict):
        raise PayloadError("the body must be a JSON object (Alertmanager webhook, version 4)")
    if str(body.get("version", "")) != "4":
        raise PayloadError(f'unsupported payload version {body.get("version")!r}; expected "4"')
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError('"alerts" must be a list')
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"{len(alerts)} alerts in one notification; at most {MAX_ALERTS}")
    return [_alert(item, index) for index, item in enumerate(alerts)]


def _alert(item: Any, index: int) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(item, dict):
        raise PayloadError(f"{where} must be an object")
    status = item.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f'{where}.status must be "firing" or "resolved", got {status!r}')
    labels = _strings(item.get("labels"), f"{where}.labels")
    if not labels:
        raise PayloadError(f"{where}.labels must name at least one label")
    annotations = _strings(item.get("annotations", {}), f"{where}.annotations")
    starts_at = item.get("startsAt", "")
    if not isinstance(starts_at, str):
        raise PayloadError(f"{where}.startsAt must be a time (RFC 3339 text)")
    fingerprint = item.get("fingerprint")
    if fingerprint is None or fingerprint == "":
        fingerprint = _fingerprint(labels)
    if not isinstance(fingerprint, str):
        raise PayloadError(f"{where}.fingerprint must be text")
    return Alert(status, labels, annotations, starts_at, fingerprint)


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object of text values")
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{where}.{key} must be text, got {type(item).__name__}")
    return dict(value)


def _fingerprint(labels: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def matching_trigger(playbook: Playbook, labels: Mapping[str, str]) -> AlertTrigger | None:
    for trigger in playbook.triggers:
        if isinstance(trigger, AlertTrigger) and all(m.matches(labels) for m in trigger.matchers):
            return trigger
    return None


class AlertIntake:
    """Turns each alert into signals for the playbooks whose alert triggers match it."""

    def __init__(self, engine: Engine, admission: Admission) -> None:
        self.engine = engine
        self.admission = admission

    async def receive(self, alerts: list[Alert], actor: str) -> list[Outcome]:
        silences = await self.engine.store.list_silences(unexpired_at=self.engine.clock())
        outcomes = []
        for alert in alerts:
            for playbook in self.engine.playbooks.all():
                trigger = matching_trigger(playbook, alert.labels)
                if trigger is not None:
                    outcomes.append(await self._one(alert, playbook, trigger, actor, silences))
        return outcomes

    async def _one(
        self,
        alert: Alert,
        playbook: Playbook,
        trigger: AlertTrigger,
        actor: str,
        silences: list[Silence],
    ) -> Outcome:
        outcome = Outcome(alert.fingerprint, alert.name, playbook.id, "")
        if alert.status == "resolved":
            incident = await self.admission.clear(
                playbook, alert.fingerprint, trigger.on_clear, actor, f"{alert.summary()} resolved"
            )
            outcome.outcome = "cleared" if incident else "not-open"
            outcome.incident = incident.id if incident else None
            return outcome
        await self._firing(alert, playbook, trigger, actor, silences, outcome)
        self.admission.count(playbook, "alert", outcome.outcome)
        return outcome

    async def _firing(
        self,
        alert: Alert,
        playbook: Playbook,
        trigger: AlertTrigger,
        actor: str,
        silences: list[Silence],
        outcome: Outcome,
    ) -> None:
        if self.admission.silenced(playbook, alert.labels, "alert", silences):
            outcome.outcome = Admitted.SILENCED.value
            return
        context = {"labels": alert.labels, "annotations": alert.annotations, "value": None}
        try:
            params = self._params(playbook, trigger, alert)
            components = self.admission.components(playbook, params, context)
        except (ParamError, TemplateError) as error:
            problems = error.problems if isinstance(error, ParamError) else [str(error)]
            outcome.outcome, outcome.problems = "invalid", problems
            return
        if self.admission.silenced(playbook, alert.labels, "alert", silences, components):
            outcome.outcome = Admitted.SILENCED.value  # a maintenance window of a component
            return
        signal = Signal(
            playbook=playbook,
            params=params,
            source="alert",
            actor=actor,
            labels=alert.labels,
            annotations=alert.annotations,
            fingerprint=alert.fingerprint,
            dedupe_key=f"{alert.fingerprint}@{alert.starts_at}",
            summary=alert.summary(),
        )
        result = await self.admission.admit(signal)
        outcome.outcome = result.outcome.value
        outcome.incident = result.incident.id if result.incident else None

    def _params(self, playbook: Playbook, trigger: AlertTrigger, alert: Alert) -> dict[str, Any]:
        context = {"labels": alert.labels, "annotations": alert.annotations, "value": None}
        raw = {
            name: self.engine.templates.render(template, context)
            for name, template in trigger.params.items()
        }
        return coerce_params(playbook, raw)
