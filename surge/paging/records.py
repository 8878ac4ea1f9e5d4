"""What surge keeps about paging: each escalation (or call-in) and each page it sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class PageStatus(StrEnum):
    SENDING = "sending"  # written before the pager is called
    SENT = "sent"
    FAILED = "failed"  # the pager said no: the person's next contact method is tried
    UNKNOWN = "unknown"  # the process died while sending and the pager cannot resend safely


class Answer(StrEnum):
    ACK = "ack"
    ACCEPT = "accept"
    DECLINE = "decline"
    TIMEOUT = "timeout"  # a call-in page nobody answered in time


@dataclass
class Escalation:
    """One run of an escalation policy (``purpose`` escalation) or one call-in.

    ``key`` is the idempotency key of the step run that started it, so a re-run finds it.
    ``people`` are whom the current level pages, fixed when the level starts.
    """

    id: int
    incident_id: int
    key: str
    purpose: str  # "escalation" or "call-in"
    policy: str
    run_id: int
    started_at: datetime
    due_at: datetime  # the current level ends (escalation) or answers are due (call-in)
    round: int = 0  # how many times the levels have started over
    level: int = 0
    people: list[str] = field(default_factory=list)
    wanted: int = 0  # call-in: how many must accept
    ended_at: datetime | None = None
    outcome: str = ""  # acknowledged, exhausted, stopped, filled, short
    acked_by: str = ""
    acked_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageRecord:
    """One delivery to one person by one contact method."""

    id: int
    escalation_id: int
    incident_id: int
    key: str  # the idempotency key pagers pass on
    person: str
    round: int
    level: int
    method: int  # index into the person's contact methods
    pager: str
    address: str
    status: PageStatus
    created_at: datetime
    sent_at: datetime | None = None
    error: str = ""
    answer: str = ""
    answered_at: datetime | None = None
    answered_via: str = ""
