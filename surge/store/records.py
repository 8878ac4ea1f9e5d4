"""The records surge keeps: incidents, their timelines and every step attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class IncidentStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (IncidentStatus.RESOLVED, IncidentStatus.CANCELLED)

    @property
    def rank(self) -> int:
        """Order along the lifecycle; a wait ``until: acknowledged`` is met by any later status."""
        return _RANK[self]


_RANK = {
    IncidentStatus.TRIGGERED: 0,
    IncidentStatus.ACKNOWLEDGED: 1,
    IncidentStatus.MITIGATED: 2,
    IncidentStatus.RESOLVED: 3,
    IncidentStatus.CANCELLED: 3,
}


# What people type (CLI subcommands, API routes) for each change of status they may make.
STATUS_VERBS = {
    "ack": IncidentStatus.ACKNOWLEDGED,
    "mitigate": IncidentStatus.MITIGATED,
    "resolve": IncidentStatus.RESOLVED,
    "cancel": IncidentStatus.CANCELLED,
}
OPEN_STATUSES = tuple(status for status in IncidentStatus if status.is_open)


class Phase(StrEnum):
    """Which list of a playbook a step run belongs to."""

    STEPS = "steps"
    ON_RESOLVE = "on_resolve"


class RunStatus(StrEnum):
    PENDING = "pending"  # due at due_at, not yet claimed
    RUNNING = "running"  # claimed by an engine, action in progress
    WAITING = "waiting"  # the action deferred itself until due_at
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # ``when`` was false, or the incident closed first
    UNKNOWN = "unknown"  # was running when its engine died and is not safe to re-run

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED, RunStatus.UNKNOWN}


@dataclass
class Incident:
    id: int
    playbook_id: str
    title: str
    severity: str
    status: IncidentStatus
    trigger: str  # manual, alert, metric, api, playbook
    triggered_by: str
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    group_key: str = ""
    context: dict[str, Any] = field(default_factory=dict)  # alert labels, annotations
    playbook_hash: str = ""
    resolved_at: datetime | None = None


@dataclass
class TimelineEntry:
    incident_id: int
    at: datetime
    actor: str  # who or what: "engine", "alice", "cli", "plugin:slack"
    kind: str  # status, step.started, step.finished, note, error, ...
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    id: int = 0


@dataclass
class StepRun:
    """One attempt of one step. Retries are new rows with ``attempt`` + 1."""

    id: int
    incident_id: int
    phase: Phase
    step_index: int
    step_id: str
    action: str
    attempt: int
    status: RunStatus
    due_at: datetime
    claimed_by: str | None = None
    lease_until: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    args: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    resume: dict[str, Any] | None = None  # state kept by a deferred action
    wake_on_status: bool = False
    # set by a claim, never stored: the attempt was running when its engine stopped
    orphaned: bool = False

    @property
    def idempotency_key(self) -> str:
        return f"{self.incident_id}:{self.phase.value}:{self.step_id}:{self.attempt}"


@dataclass
class NewRun:
    """A step run the engine wants scheduled."""

    phase: Phase
    step_index: int
    step_id: str
    action: str
    attempt: int
    due_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    name: str
    role: str
    sha256: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class EngineRecord:
    id: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime


@dataclass
class Silence:
    """Alerts and metric conditions that match are recorded but start nothing.

    ``windows`` make it recur: each is ``{"days": ["mon", …], "start": "22:00",
    "end": "06:00"}`` in ``timezone``; an end before the start runs past midnight.
    Without windows it holds for the whole of ``starts_at``..``ends_at``.
    """

    id: int
    matchers: list[str]  # Alertmanager syntax, e.g. 'alertname="ChannelDown"'
    starts_at: datetime
    ends_at: datetime | None  # None: until expired by hand
    comment: str
    created_by: str
    created_at: datetime
    windows: list[dict[str, Any]] = field(default_factory=list)
    timezone: str = "UTC"
    expired_at: datetime | None = None
    # a maintenance window: it holds back signals of playbooks whose incidents would
    # concern one of these components (the playbook's `components`)
    components: list[str] = field(default_factory=list)


class TriggerPhase(StrEnum):
    INACTIVE = "inactive"  # the condition does not hold
    PENDING = "pending"  # holds, for less than `for`
    FIRING = "firing"  # held for `for`: an incident was opened or joined
    CLEARING = "clearing"  # firing, and the clear condition holds, for less than `clear_for`
    UNKNOWN = "unknown"  # no data, or Prometheus could not be asked


@dataclass
class TriggerState:
    """One series of one metric trigger, kept so a restart does not reset its timers."""

    playbook_id: str
    trigger: str  # the trigger's key: its id, or a hash of its queries
    series: str  # the series' labels, canonical JSON
    phase: TriggerPhase
    since: datetime  # when the current phase began
    labels: dict[str, str] = field(default_factory=dict)
    value: float | None = None
    incident_id: int | None = None
    updated_at: datetime | None = None


class Admitted(StrEnum):
    """What became of an alert or a metric condition that matched a playbook."""

    OPENED = "opened"
    JOINED = "joined"  # an open incident of the same group took it
    DUPLICATE = "duplicate"  # seen before (same alert fingerprint and start)
    SILENCED = "silenced"
    COOLDOWN = "cooldown"  # the group's last incident closed less than `cooldown` ago
    CAPPED = "capped"  # the playbook has `max_open` open incidents already


@dataclass
class AdmitRequest:
    """Open an incident for a group, or let the group's open one take the signal."""

    incident: Incident  # the incident to open, group_key set
    first_runs: list[NewRun]
    opened: TimelineEntry  # for a new incident
    joined: TimelineEntry  # for the open incident that takes it (incident_id filled in)
    cooldown: float  # seconds
    max_open: int
    fingerprint: str  # what a later "resolved" names: an alert's fingerprint, a series
    labels: dict[str, str] = field(default_factory=dict)
    dedupe_key: str = ""  # e.g. fingerprint + startsAt; empty: never a duplicate
    # a start by a step (playbook.trigger): a repeat of its key is a duplicate even once
    # its incident closed, and it never fires (a clear does not wait for it to clear)
    once: bool = False


@dataclass
class AdmitResult:
    outcome: Admitted
    incident: Incident | None = None  # the opened or joined one, or the group's last one


@dataclass(frozen=True)
class Approval:
    """Someone approved a response script's content, pinned by its hash."""

    script_id: str
    sha256: str
    approved_by: str
    approved_at: datetime
    note: str = ""
    id: int = 0


@dataclass(frozen=True)
class ActiveScript:
    """The script (and its variables) an incident's agents must follow."""

    incident_id: int
    script_id: str
    variables: dict[str, Any]
    activated_by: str
    activated_at: datetime


# -- channels: rooms opened, messages posted, hotlines switched on (surge/channels) --


class RoomState(StrEnum):
    OPENING = "opening"  # asked for; the provider's answer is not stored yet
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class ChannelRoom:
    """A room a channel provider opened for one incident (a Slack channel, a mail list)."""

    incident_id: int
    channel: str  # the configured channel name, e.g. incident-room
    provider: str  # the provider type, e.g. slack
    state: RoomState
    opened_at: datetime
    room: str = ""  # the provider's id for it (a Slack channel id)
    name: str = ""
    url: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # what the provider keeps (summary ts)
    closed_at: datetime | None = None


class MessageState(StrEnum):
    SENDING = "sending"  # about to be handed to a provider: whether it arrived is unknown
    SENT = "sent"
    FAILED = "failed"  # every provider of the chain refused it


@dataclass
class ChannelMessage:
    """One message a step posts to a channel, kept by the step's key so it is sent once."""

    key: str  # INCIDENT:PHASE:STEP, the same for every attempt of the step
    incident_id: int
    channel: str  # the channel the step named
    kind: str  # post (a script), script (the incident's active script)
    state: MessageState
    started_at: datetime
    updated_at: datetime
    delivered_to: str = ""  # the channel that took it: the one named, or a backup
    provider: str = ""
    room: str = ""  # where the provider put it (a Slack channel id)
    ref: str = ""  # the provider's id of the message (a Slack ts, a Message-ID)
    script_id: str = ""
    content_hash: str = ""  # of the rendered texts, to tell an updated script from the same
    pinned: bool = False
    error: str = ""


@dataclass
class ChannelNotice:
    """The message that shows a status notice on one channel: posted for its first version
    there and updated in place for each later one (surge/channels/notices.py)."""

    notice_id: int
    channel: str  # the configured channel name
    state: MessageState  # sending: the provider was called, its answer is not stored yet
    updated_at: datetime
    provider: str = ""
    room: str = ""  # where the provider put it (a Slack channel id)
    ref: str = ""  # the provider's id of the message (a Slack ts)
    version: int = 0  # the notice's version it shows
    published: bool = False  # that version is published (else a draft, awaiting approval)
    error: str = ""


@dataclass
class HotlineRecord:
    """A temporary hotline switched on for an incident, and the number customers call."""

    incident_id: int
    hotline: str
    state: RoomState
    opened_at: datetime
    number: str = ""
    closed_at: datetime | None = None


class AuditOutcome(StrEnum):
    OK = "ok"  # the change was made
    DENIED = "denied"  # the caller's role may not do it (403)


@dataclass(frozen=True)
class AuditEntry:
    """One change someone made (or was denied), kept for good: the audit log is append-only.

    ``detail`` has secrets masked before it is stored; tokens never enter it."""

    at: datetime
    actor: str  # the token's name, or ``cli:USER`` on the store directly
    role: str  # the token's role, or ``store`` for a command working on the store directly
    origin: str  # where from: the client address (and the proxy), or ``cli@HOST as USER``
    action: str  # what, as ``thing.verb``: incident.ack, silence.add, token.create, …
    target: str = ""  # what it was done to, as ``kind:id``: incident:7, token:ci-bot
    outcome: AuditOutcome = AuditOutcome.OK
    detail: dict[str, Any] = field(default_factory=dict)
    address: str = ""  # the client's IP address, for filtering; empty from the CLI
    id: int = 0


@dataclass(frozen=True)
class AuditQuery:
    """Which audit entries to read, newest first. ``action`` ending in ``*`` is a prefix."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: AuditOutcome | None = None
    address: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None  # only entries with a smaller id: the next page
    limit: int = 100


@dataclass(frozen=True)
class ConsoleSession:
    """Someone signed in to the operator console (surge/web/console/session.py).

    ``key`` is the SHA-256 of the session id the cookie carries, so the table holds no
    usable session; ``token_sha256`` is the hash of the bearer token signed in with, and
    each request checks that token again, so revoking it ends its sessions."""

    key: str
    token_sha256: str
    name: str  # the token's name
    role: str  # the token's role when the session began (each request reads it anew)
    created_at: datetime
    expires_at: datetime
    address: str = ""  # where the sign-in came from
    ended_at: datetime | None = None  # signed out
