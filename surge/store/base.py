"""The store interface. The engine speaks only this; each backend implements it.

Every method is one transaction. Methods that change an incident take the timeline
entries that describe the change, so a record and its explanation land together.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime

from surge.customers.storage import CustomerStorage
from surge.notices.model import (
    Audience,
    Banner,
    ComponentState,
    Notice,
    NoticeChange,
    NoticeKind,
    NoticeVersion,
    StatusRows,
)
from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.store.records import (
    ActiveScript,
    AdmitRequest,
    AdmitResult,
    Approval,
    AuditEntry,
    AuditQuery,
    ChannelMessage,
    ChannelNotice,
    ChannelRoom,
    ConsoleSession,
    EngineRecord,
    HotlineRecord,
    Incident,
    IncidentStatus,
    NewRun,
    RunStatus,
    Silence,
    StepRun,
    TimelineEntry,
    TokenRecord,
    TriggerState,
)
from surge.store.replicas import ChangeFeed, Leadership
from surge.subscriptions.storage import SubscriptionStorage


class StoreError(Exception):
    """The store cannot be used (unreachable, wrong schema, corrupt)."""


class StoreUnavailable(StoreError):
    """The store is fine but cannot be used right now: its disk is full or read-only, the
    database cannot be reached or is read-only, or it is too busy. Not a bug, and it may
    pass by itself; the transaction that met it changed nothing. Both backends raise it
    for their drivers' errors of that kind, so the API answers 503 and the CLI says what
    to do, whichever backend it is."""


class GroupBusy(Exception):
    """The playbook already has an open incident for this group."""

    def __init__(self, incident: Incident) -> None:
        super().__init__(f"incident {incident.id} is already open for this group")
        self.incident = incident


class Store(SubscriptionStorage, CustomerStorage, ABC):
    url: str

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    # -- incidents --

    @abstractmethod
    async def create_incident(
        self, incident: Incident, first_runs: Sequence[NewRun], entries: Sequence[TimelineEntry]
    ) -> Incident:
        """Store a new incident with its first step runs; returns it with its id set.

        Raises GroupBusy when the incident has a group key and its group has an open
        incident already."""

    @abstractmethod
    async def get_incident(self, incident_id: int) -> Incident | None: ...

    @abstractmethod
    async def list_incidents(
        self,
        *,
        statuses: Iterable[IncidentStatus] = (),
        playbook_id: str | None = None,
        limit: int = 100,
    ) -> list[Incident]:
        """Newest first."""

    @abstractmethod
    async def incident_counts(self) -> dict[tuple[str, str, IncidentStatus], int]:
        """How many incidents there are by (playbook, trigger, status), for metrics."""

    @abstractmethod
    async def change_status(
        self,
        incident_id: int,
        new: IncidentStatus,
        allowed_from: Iterable[IncidentStatus],
        at: datetime,
        entries: Sequence[TimelineEntry],
        new_runs: Sequence[NewRun] = (),
        *,
        only_if_quiet: bool = False,
    ) -> tuple[Incident, IncidentStatus] | None:
        """Move to ``new`` only if the status is one of ``allowed_from`` (and, with
        ``only_if_quiet``, none of the incident's alerts or series still fires).

        Also wakes the incident's waits that asked to be woken on a status change. When
        ``new`` closes the incident, the ``steps`` runs not yet started are skipped, and
        ``new_runs`` (the ``on_resolve`` steps) are scheduled. Returns the updated incident
        and its previous status, or None when it is missing or not in ``allowed_from``.
        """

    # -- timeline --

    @abstractmethod
    async def append_timeline(self, entries: Sequence[TimelineEntry]) -> None: ...

    @abstractmethod
    async def timeline(self, incident_id: int, after_id: int = 0) -> list[TimelineEntry]:
        """Entries in the order they were written, those with id > ``after_id``."""

    # -- step runs --

    @abstractmethod
    async def claim_due_runs(
        self, engine_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[StepRun]:
        """Claim runs that are due: pending or waiting with ``due_at <= now``, and running
        ones whose lease has expired (their engine died; returned with ``orphaned`` set).
        Each run is claimed by exactly one engine."""

    @abstractmethod
    async def renew_leases(
        self, engine_id: str, run_ids: Sequence[int], lease_until: datetime
    ) -> None: ...

    @abstractmethod
    async def mark_run_started(
        self, run_id: int, engine_id: str, args: dict[str, object], entries: Sequence[TimelineEntry]
    ) -> bool:
        """Record the rendered arguments just before the action is called.

        Returns False when the claim was lost (another engine took the run over)."""

    @abstractmethod
    async def finish_run(
        self,
        run_id: int,
        engine_id: str,
        status: RunStatus,
        at: datetime,
        entries: Sequence[TimelineEntry],
        *,
        result: dict[str, object] | None = None,
        error: str | None = None,
        next_runs: Sequence[NewRun] = (),
    ) -> StepRun | None:
        """Finish an attempt and schedule what follows it, atomically.

        ``next_runs`` in the ``steps`` phase are dropped when the incident has been closed
        meanwhile. Returns None (and changes nothing) when this engine no longer holds
        the claim."""

    @abstractmethod
    async def defer_run(
        self,
        run_id: int,
        engine_id: str,
        due_at: datetime,
        resume: dict[str, object],
        wake_on_status: bool,
        entries: Sequence[TimelineEntry],
        at: datetime,
        *,
        seen_status: IncidentStatus | None = None,
    ) -> bool:
        """Put a running attempt to sleep until ``due_at`` (a durable wait).

        When the incident was closed while the action ran (``steps`` phase), the run is
        marked skipped instead and False returned. With ``wake_on_status``, when the
        incident's status is no longer ``seen_status`` (what the attempt started with),
        the run is due at ``at`` instead: the status change that would have woken the
        wait came while it was still running, and must not be missed."""

    @abstractmethod
    async def runs(self, incident_id: int) -> list[StepRun]: ...

    @abstractmethod
    async def next_due_at(self) -> datetime | None:
        """When the earliest pending or waiting run falls due, for the engine's sleep."""

    # -- tokens --

    @abstractmethod
    async def add_token(self, token: TokenRecord) -> None: ...

    @abstractmethod
    async def list_tokens(self) -> list[TokenRecord]: ...

    @abstractmethod
    async def revoke_token(self, name: str, at: datetime) -> bool: ...

    @abstractmethod
    async def find_token(self, sha256: str) -> TokenRecord | None: ...

    # -- engines --

    @abstractmethod
    async def heartbeat(self, engine: EngineRecord) -> None: ...

    @abstractmethod
    async def engines(self, seen_since: datetime) -> list[EngineRecord]: ...

    @abstractmethod
    async def remove_engine(self, engine_id: str) -> None: ...

    # -- alerts and metric conditions --

    @abstractmethod
    async def admit(self, request: AdmitRequest, at: datetime) -> AdmitResult:
        """Open the request's incident, or hand the signal to its group's open incident.

        In one transaction, in this order: a ``dedupe_key`` seen before is a duplicate;
        an open incident with the same playbook and group key takes the signal (the
        ``joined`` entry goes on its timeline); a group whose last incident closed less
        than ``cooldown`` ago is in cooldown; a playbook with ``max_open`` open incidents
        is capped; otherwise the incident is created. Opened and joined signals are kept,
        by fingerprint, until cleared."""

    @abstractmethod
    async def clear_signal(
        self, playbook_id: str, fingerprint: str, at: datetime
    ) -> tuple[Incident, int] | None:
        """Mark the firing signal(s) with this fingerprint cleared.

        Returns their incident and how many of its signals still fire, or None when no
        firing signal has this fingerprint."""

    # -- silences --

    @abstractmethod
    async def add_silence(self, silence: Silence) -> Silence:
        """Store a silence; returns it with its id set."""

    @abstractmethod
    async def list_silences(self, *, unexpired_at: datetime | None = None) -> list[Silence]:
        """Newest first; with ``unexpired_at``, only those not yet ended or expired then."""

    @abstractmethod
    async def expire_silence(self, silence_id: int, at: datetime) -> bool: ...

    # -- metric trigger timers --

    @abstractmethod
    async def trigger_states(self, playbook_id: str | None = None) -> list[TriggerState]: ...

    @abstractmethod
    async def save_trigger_states(
        self, states: Sequence[TriggerState], removed: Sequence[TriggerState] = ()
    ) -> None:
        """Delete ``removed`` (series gone inactive), then insert or replace ``states``."""

    # -- leases --

    @abstractmethod
    async def acquire_lease(self, name: str, holder: str, at: datetime, until: datetime) -> bool:
        """Take or renew the named lease if it is free, expired, or already ours."""

    # -- response scripts --

    @abstractmethod
    async def add_approval(self, approval: Approval) -> Approval:
        """Keep an approval; the history is never rewritten."""

    @abstractmethod
    async def approvals(self, script_id: str | None = None) -> list[Approval]:
        """Oldest first; of one script, or of all."""

    @abstractmethod
    async def set_active_script(self, active: ActiveScript) -> None:
        """The incident's agents follow this script from now on (replaces an earlier one)."""

    @abstractmethod
    async def active_script(self, incident_id: int) -> ActiveScript | None: ...

    # -- channels --

    @abstractmethod
    async def channel_room(self, incident_id: int, channel: str) -> ChannelRoom | None:
        """The room opened (or being opened) on ``channel`` for the incident."""

    @abstractmethod
    async def channel_rooms(self, incident_id: int) -> list[ChannelRoom]:
        """Every room of the incident, in the order they were opened."""

    @abstractmethod
    async def save_channel_room(self, room: ChannelRoom) -> None:
        """Insert the room, or replace the one the incident has on that channel."""

    @abstractmethod
    async def channel_message(self, key: str) -> ChannelMessage | None: ...

    @abstractmethod
    async def channel_messages(
        self, incident_id: int, *, channel: str | None = None, kind: str | None = None
    ) -> list[ChannelMessage]:
        """The incident's messages, oldest first; of one channel, or one kind, or all."""

    @abstractmethod
    async def save_channel_message(self, message: ChannelMessage) -> None:
        """Insert the message, or replace the one with the same key."""

    @abstractmethod
    async def channel_notice(self, notice_id: int, channel: str) -> ChannelNotice | None:
        """The message that shows the notice on ``channel``, if one was posted (or tried)."""

    @abstractmethod
    async def save_channel_notice(self, record: ChannelNotice) -> None:
        """Insert the record, or replace the one of that notice and channel."""

    @abstractmethod
    async def hotline(self, incident_id: int, hotline: str) -> HotlineRecord | None: ...

    @abstractmethod
    async def save_hotline(self, record: HotlineRecord) -> None:
        """Insert the hotline, or replace the incident's record of it."""

    @abstractmethod
    async def signal_waits(self, incident_id: int, signal: dict[str, object], at: datetime) -> int:
        """Wake the incident's waiting runs that wait on its status, now, with ``signal``
        added to their resume state under ``"signal"`` (Escalate from a chat button).

        Returns how many runs were woken."""

    # -- audit --

    @abstractmethod
    async def add_audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an entry to the audit log; returns it with its id set. Nothing changes
        or removes an entry once written."""

    @abstractmethod
    async def audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first, those that match every filter the query sets."""

    # -- console --

    @abstractmethod
    async def console_secret(self, candidate: str, at: datetime) -> str:
        """The console's signing secret: the one stored, or ``candidate``, stored now when
        none was (the first replica to ask wins; every one gets the same)."""

    @abstractmethod
    async def add_console_session(self, session: ConsoleSession) -> None: ...

    @abstractmethod
    async def console_session(self, key: str) -> ConsoleSession | None: ...

    @abstractmethod
    async def end_console_session(self, key: str, at: datetime) -> bool:
        """Sign the session out; False when it was unknown or over already."""

    @abstractmethod
    async def purge_console_sessions(self, before: datetime) -> int:
        """Forget sessions that expired before ``before``; returns how many."""

    # -- rota and paging --

    @abstractmethod
    async def start_escalation(
        self, escalation: Escalation, entries: Sequence[TimelineEntry]
    ) -> Escalation:
        """Store a new escalation or call-in; when one with its ``key`` exists already
        (the step is being re-run), return that one and write nothing."""

    @abstractmethod
    async def escalation(self, escalation_id: int) -> Escalation | None: ...

    @abstractmethod
    async def escalations(self, incident_id: int) -> list[Escalation]:
        """Oldest first."""

    @abstractmethod
    async def update_escalation(
        self, escalation: Escalation, expected: tuple[int, int], entries: Sequence[TimelineEntry]
    ) -> bool:
        """Write the escalation's round, level, people, due time, outcome and data, only if
        its stored (round, level) is still ``expected``; False when it was not."""

    @abstractmethod
    async def begin_page(
        self, page: PageRecord, entries: Sequence[TimelineEntry]
    ) -> tuple[PageRecord, bool]:
        """Record a delivery as ``sending`` before the pager is called, and return it with
        True; when a page with its ``key`` exists already, return that one (as stored)
        with False and write nothing."""

    @abstractmethod
    async def finish_page(
        self,
        page_id: int,
        status: PageStatus,
        at: datetime,
        error: str,
        entries: Sequence[TimelineEntry],
    ) -> None: ...

    @abstractmethod
    async def page(self, page_id: int) -> PageRecord | None: ...

    @abstractmethod
    async def pages(self, incident_id: int) -> list[PageRecord]:
        """Every page of the incident, oldest first."""

    @abstractmethod
    async def answer_page(
        self, page_id: int, answer: Answer, via: str, at: datetime, entries: Sequence[TimelineEntry]
    ) -> PageRecord | None:
        """Record the answer to a page once: None when it was answered already. An ``ack``
        also sets its escalation's ``acked_by``/``acked_at`` if not yet set."""

    @abstractmethod
    async def called(self, people: Sequence[str], at: datetime) -> None:
        """Remember that these standby people were called at ``at``."""

    @abstractmethod
    async def last_called(self) -> dict[str, datetime]: ...

    @abstractmethod
    async def wake_run(self, run_id: int, at: datetime) -> None:
        """Make a waiting step run due at ``at`` (an answer it waits for came in)."""

    # -- status notices (surge/notices) --

    @abstractmethod
    async def add_notice_version(
        self, notice: Notice, version: NoticeVersion, *, publish: bool
    ) -> NoticeChange:
        """Store ``version`` as the next version of ``notice`` (a new notice when its id is
        0), as a draft, or published at once with ``publish`` (as ``publish_notice_version``
        does). When a version with ``version.key`` exists (a step run again), return it
        with ``created`` False and write nothing. NoticeConflict when the notice is gone."""

    @abstractmethod
    async def publish_notice_version(
        self, notice_id: int, number: int, by: str, at: datetime
    ) -> NoticeChange:
        """Publish a draft: the notice takes its state, impact, title and components; the
        components it touches get the worst status an open public notice gives them; the
        status revision goes up. NoticeConflict when there is no such draft, it is
        published already, or a later version was published since."""

    @abstractmethod
    async def mark_notice_announced(self, notice_id: int, number: int, at: datetime) -> None:
        """The published hook has been called for this version."""

    @abstractmethod
    async def notice(self, notice_id: int) -> Notice | None: ...

    @abstractmethod
    async def notice_version_by_key(self, key: str) -> NoticeChange | None:
        """The version a step with this idempotency key made, with its notice."""

    @abstractmethod
    async def notices(
        self,
        *,
        kind: NoticeKind | None = None,
        audience: Audience | None = None,
        incident_id: int | None = None,
        open_only: bool = False,
        limit: int = 100,
    ) -> list[Notice]:
        """Newest first, those that match every filter given."""

    @abstractmethod
    async def notice_versions(self, notice_id: int) -> list[NoticeVersion]:
        """Every version, drafts too, oldest first."""

    @abstractmethod
    async def component_states(self) -> dict[str, ComponentState]:
        """Components whose status was ever set; the others are operational."""

    @abstractmethod
    async def set_component_state(self, state: ComponentState) -> None:
        """Set a component's status by hand (the status revision goes up)."""

    @abstractmethod
    async def show_banner(self, banner: Banner) -> tuple[Banner, bool]:
        """Store a banner (the status revision goes up) and return it with True; one with
        the same ``key`` exists already: return it with False and write nothing."""

    @abstractmethod
    async def clear_banners(
        self, by: str, at: datetime, *, incident_id: int | None = None
    ) -> list[Banner]:
        """Clear the active banners, or those the incident showed; returns them."""

    @abstractmethod
    async def banners(self, limit: int = 100) -> list[Banner]:
        """Newest first, cleared and expired ones too."""

    @abstractmethod
    async def status_revision(self) -> int:
        """How many changes the public pages have seen: any publish, component status or
        banner change makes it bigger, on every replica sharing the store."""

    @abstractmethod
    async def status_rows(self, now: datetime, since: datetime) -> StatusRows:
        """What the public pages show: public published notices that are open or were
        closed at or after ``since``, with their published versions; component states;
        banners active at ``now``; and the revision read before them."""

    # -- replicas --

    @abstractmethod
    def leadership(self, name: str, holder: str, lease: float) -> Leadership:
        """The named leadership among the processes sharing this store; ``holder`` names
        this one, and ``lease`` is how long a leader that stops renewing keeps the lead
        where the backend cannot tell a dead holder at once (SQLite)."""

    @abstractmethod
    def changes(self, poll_interval: float) -> ChangeFeed:
        """This process's change feed (one per store; ``start`` it before subscribing).
        ``poll_interval`` is how often a backend without notifications looks (SQLite)."""

    @property
    def problem(self) -> str | None:
        """Why the store is unusable right now, when it already knows (for /readyz)."""
        return None
