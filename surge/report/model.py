"""What a post-incident report holds, gathered once and rendered in either format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from surge.customers.records import AffectedCustomer
from surge.store.records import Incident, TimelineEntry

MAX_TIMELINE = 1000  # entries shown; a longer timeline says how many more there are


@dataclass(frozen=True)
class Milestones:
    """When the incident was first acknowledged, mitigated and closed."""

    acknowledged: datetime | None = None
    mitigated: datetime | None = None
    closed: datetime | None = None  # resolved or cancelled
    closed_as: str = ""


@dataclass(frozen=True)
class Link:
    relation: str  # "parent": this incident's step was started by it; "child": it started
    incident: int
    playbook: str
    step: str
    outcome: str = ""  # for a child: opened, joined, …


@dataclass(frozen=True)
class Page:
    person: str
    name: str  # the rota's name for them, or their id
    pager: str
    status: str
    at: datetime
    answer: str = ""
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Escalation:
    policy: str
    purpose: str  # escalation or call-in
    started_at: datetime
    outcome: str
    acked_by: str
    acked_at: datetime | None
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class NoticeVersion:
    number: int
    state: str
    status: str  # draft, published, …
    title: str  # in the report's locale, or the first one it has
    body: str
    at: datetime
    published_at: datetime | None
    published_by: str


@dataclass(frozen=True)
class Notice:
    id: int
    audience: str
    state: str
    components: dict[str, str]
    versions: tuple[NoticeVersion, ...]


@dataclass(frozen=True)
class FollowUp:
    department: str
    text: str


@dataclass(frozen=True)
class Report:
    incident: Incident
    locale: str
    generated_at: datetime
    milestones: Milestones
    links: tuple[Link, ...]
    escalations: tuple[Escalation, ...]
    notices: tuple[Notice, ...]
    components: tuple[str, ...]
    customers: tuple[AffectedCustomer, ...]
    follow_ups: tuple[FollowUp, ...]
    timeline: tuple[TimelineEntry, ...]
    timeline_more: int = 0  # entries left out beyond MAX_TIMELINE
    component_names: dict[str, str] = field(default_factory=dict)  # configured, by id

    def component(self, component_id: str) -> str:
        """``在线客服 (web-chat)`` for a configured component, else its id."""
        name = self.component_names.get(component_id)
        return f"{name} ({component_id})" if name and name != component_id else component_id

    def since_opened(self, at: datetime | None) -> float | None:
        return (at - self.incident.created_at).total_seconds() if at is not None else None

    def summary(self) -> dict[str, Any]:
        """The report's figures as JSON (for ``--json`` and a step's result)."""
        times = {
            "acknowledge": self.since_opened(self.milestones.acknowledged),
            "mitigate": self.since_opened(self.milestones.mitigated),
            "resolve": self.since_opened(self.milestones.closed),
        }
        return {
            "incident": self.incident.id,
            "status": self.incident.status.value,
            "seconds_to": times,
            "paged": sorted({page.person for e in self.escalations for page in e.pages}),
            "notices": len(self.notices),
            "customers": len(self.customers),
            "components": list(self.components),
            "follow_ups": [item.department for item in self.follow_ups],
        }
