"""Records as JSON-ready dicts: one shape for the HTTP API and the CLI's ``--json``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from surge.customers.records import AffectedCustomer
from surge.playbook.model import AlertTrigger, ManualTrigger, MetricTrigger, Playbook, Trigger
from surge.redact import Redactor
from surge.store.records import AuditEntry, Incident, Silence, StepRun, TimelineEntry
from surge.triggers.silences import silence_state

_PARAMS = Redactor()  # masks params under names like token or password; the timeline does too


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident(record: Incident) -> dict[str, Any]:
    return {
        "id": record.id,
        "playbook": record.playbook_id,
        "title": record.title,
        "severity": record.severity,
        "status": record.status.value,
        "trigger": record.trigger,
        "triggered_by": record.triggered_by,
        "params": _PARAMS.value(record.params),
        # what started it: the alert's or series' labels and annotations (empty by hand)
        "labels": _PARAMS.value(record.context.get("labels", {})),
        "annotations": _PARAMS.value(record.context.get("annotations", {})),
        "group_key": record.group_key,
        "created_at": _time(record.created_at),
        "updated_at": _time(record.updated_at),
        "resolved_at": _time(record.resolved_at),
    }


def entry(record: TimelineEntry) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": _time(record.at),
        "actor": record.actor,
        "kind": record.kind,
        "message": record.message,
        "data": record.data,
    }


def run(record: StepRun) -> dict[str, Any]:
    return {
        "id": record.id,
        "phase": record.phase.value,
        "step": record.step_id,
        "action": record.action,
        "attempt": record.attempt,
        "status": record.status.value,
        "due_at": _time(record.due_at),
        "started_at": _time(record.started_at),
        "finished_at": _time(record.finished_at),
        "args": record.args,
        "result": record.result,
        "error": record.error,
    }


def playbook(record: Playbook) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.title,
        "kind": record.kind,
        "severity": record.severity,
        "description": record.description,
        "params": {
            name: {key: value for key, value in asdict(param).items() if key != "pos"}
            for name, param in record.params.items()
        },
        "triggers": [_trigger(trigger) for trigger in record.triggers],
        "steps": [step.id for step in record.steps],
        "on_resolve": [step.id for step in record.on_resolve],
        "source": record.source,
    }


def _trigger(trigger: Trigger) -> dict[str, Any]:
    if isinstance(trigger, ManualTrigger):
        return {"manual": {"roles": list(trigger.roles)}}
    if isinstance(trigger, AlertTrigger):
        matchers = [str(matcher) for matcher in trigger.matchers]
        return {"alert": {"matchers": matchers, "on_clear": trigger.on_clear}}
    assert isinstance(trigger, MetricTrigger)
    return {
        "metric": {
            "query": trigger.query,
            "for": trigger.for_,
            "clear": trigger.clear,
            "clear_for": trigger.clear_for,
            "on_clear": trigger.on_clear,
        }
    }


def silence(record: Silence, at: datetime) -> dict[str, Any]:
    """A silence, with its ``state`` at ``at``: ``active``, ``scheduled`` or ``expired``."""
    return {
        "id": record.id,
        "matchers": list(record.matchers),
        "components": list(record.components),
        "starts_at": _time(record.starts_at),
        "ends_at": _time(record.ends_at),
        "windows": record.windows,
        "timezone": record.timezone,
        "comment": record.comment,
        "created_by": record.created_by,
        "created_at": _time(record.created_at),
        "expired_at": _time(record.expired_at),
        "state": silence_state(record, at),
    }


def audit_entry(record: AuditEntry) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": _time(record.at),
        "actor": record.actor,
        "role": record.role,
        "origin": record.origin,
        "address": record.address,
        "action": record.action,
        "target": record.target,
        "outcome": record.outcome.value,
        "detail": record.detail,
    }


def customer(record: AffectedCustomer, *, contact: bool) -> dict[str, Any]:
    """An affected customer; the contact in full only with ``contact`` (for those who
    may respond), else null beside the masked one."""
    return {
        "id": record.id,
        "incident": record.incident_id,
        "ref": record.ref,
        "channel": record.channel,
        "contact": record.contact if contact else None,
        "contact_masked": record.masked_contact,
        "note": record.note,
        "added_by": record.added_by,
        "added_at": _time(record.added_at),
    }
