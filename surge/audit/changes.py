"""What a change is, for the audit log: ``Change(action, target, detail)``, and the changes
that both the HTTP API and the CLI make, built in one place so both record them alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.customers.records import AffectedCustomer
from surge.store.records import Incident


@dataclass(frozen=True)
class Change:
    action: str  # thing.verb: incident.ack, silence.add, token.create, notice.publish, …
    target: str = ""  # kind:id: incident:7, silence:3, token:ci-bot, script:outage-initial
    detail: Mapping[str, Any] = field(default_factory=dict)  # what changed; never a secret


def incident_triggered(incident: Incident) -> Change:
    detail = {"playbook": incident.playbook_id, "params": incident.params}
    return Change("incident.trigger", f"incident:{incident.id}", detail)


def incident_status(incident_id: int, verb: str, note: str) -> Change:
    """``verb`` is ack, mitigate, resolve or cancel."""
    return Change(f"incident.{verb}", f"incident:{incident_id}", {"note": note})


def silence_added(shown: Mapping[str, Any]) -> Change:
    """``shown`` is the silence as the API returns it."""
    return Change("silence.add", f"silence:{shown['id']}", shown)


def silence_expired(silence_id: int) -> Change:
    return Change("silence.expire", f"silence:{silence_id}")


def customer_added(customer: AffectedCustomer) -> Change:
    """The reference and channel only: the contact and note are personal data."""
    detail = {"ref": customer.ref, "channel": customer.channel}
    return Change("customer.add", f"incident:{customer.incident_id}", detail)
