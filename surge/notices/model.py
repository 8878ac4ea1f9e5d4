"""What a status notice is: components with a status, notices, their versions, banners.

The names are Statuspage's (component statuses, incident and maintenance states, impact),
so the public JSON can use them unchanged. Every change a customer may see is a new
``NoticeVersion``; a notice's own fields are what its latest published version made them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from surge.scripts.model import LOCALES

Localized = Mapping[str, str]  # locale -> text, for every locale in LOCALES


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def rank(self) -> int:
        """How bad it is: operational 0, maintenance 1, then degraded, partial, major."""
        return _STATUS_RANK[self]


_STATUS_RANK = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


def worst(statuses: Any) -> ComponentStatus:
    """The worst of ``statuses`` (an iterable); operational when there are none."""
    return max(statuses, key=lambda status: status.rank, default=ComponentStatus.OPERATIONAL)


class NoticeKind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class Audience(StrEnum):
    PUBLIC = "public"  # the status page, its JSON and feed, subscribers
    INTERNAL = "internal"  # staff only
    AGENTS = "agents"  # customer service agents


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Impact).index(self)


class NoticeState(StrEnum):
    # incidents
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    # scheduled maintenance
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"

    @property
    def is_open(self) -> bool:
        return self not in (NoticeState.RESOLVED, NoticeState.COMPLETED)


STATES = {
    NoticeKind.INCIDENT: (
        NoticeState.INVESTIGATING,
        NoticeState.IDENTIFIED,
        NoticeState.MONITORING,
        NoticeState.RESOLVED,
    ),
    NoticeKind.MAINTENANCE: (
        NoticeState.SCHEDULED,
        NoticeState.IN_PROGRESS,
        NoticeState.VERIFYING,
        NoticeState.COMPLETED,
    ),
}
CLOSED = {NoticeKind.INCIDENT: NoticeState.RESOLVED, NoticeKind.MAINTENANCE: NoticeState.COMPLETED}


class VersionStatus(StrEnum):
    DRAFT = "draft"  # rendered and kept, not shown to anyone yet
    PUBLISHED = "published"


class Severity(StrEnum):
    """A banner's severity."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class ComponentGroup:
    id: str  # a slug of the group's English name
    name: Localized


@dataclass(frozen=True)
class Component:
    """A part of the service customers know by name (web chat, the hotline, the app)."""

    id: str
    name: Localized
    group: ComponentGroup | None = None
    description: Localized = field(default_factory=dict)
    position: int = 0  # its place in the config


@dataclass(frozen=True)
class ComponentState:
    """A component's current status as stored (components never set are operational)."""

    component_id: str
    status: ComponentStatus
    updated_at: datetime
    updated_by: str = ""
    notice_id: int | None = None  # the notice whose version set it, if one did


@dataclass(frozen=True)
class Notice:
    """A status notice: an incident or a scheduled maintenance, with its current fields."""

    id: int
    kind: NoticeKind
    audience: Audience
    impact: Impact
    state: NoticeState
    components: Mapping[str, ComponentStatus]  # affected components and their status
    created_at: datetime
    updated_at: datetime
    created_by: str
    incident_id: int | None = None
    title: Localized = field(default_factory=dict)  # of the latest published version
    window_start: datetime | None = None  # maintenance: when it is planned to start
    window_end: datetime | None = None  # and to end
    published_at: datetime | None = None  # first shown; None while only drafts exist
    resolved_at: datetime | None = None
    key: str = ""  # the idempotency key of the step that opened it ("" by hand)

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True)
class NoticeVersion:
    """One version of a notice, rendered from an approved script.

    ``title`` and ``body`` are the rendered texts per locale; ``script_id``,
    ``content_hash`` and ``vars`` say exactly what they were rendered from. A draft becomes
    the notice's current version when it is published; nothing else changes a version.
    """

    notice_id: int
    number: int  # 1, 2, 3… per notice
    state: NoticeState
    impact: Impact
    components: Mapping[str, ComponentStatus]
    script_id: str
    content_hash: str
    vars: Mapping[str, Any]
    title: Localized
    body: Localized
    author: str  # who drafted it: a person, or ``playbook`` for a step
    at: datetime  # when it was drafted
    status: VersionStatus = VersionStatus.DRAFT
    published_by: str = ""
    published_at: datetime | None = None
    announced_at: datetime | None = None  # when the published hook was called for it
    key: str = ""  # the idempotency key of the step that made it ("" by hand)

    @property
    def is_published(self) -> bool:
        return self.status is VersionStatus.PUBLISHED


@dataclass(frozen=True)
class Banner:
    """A message shown on the website and in the app: active until cleared or expired."""

    id: int
    script_id: str
    content_hash: str
    vars: Mapping[str, Any]
    text: Localized
    severity: Severity
    link: str
    shown_by: str
    shown_at: datetime
    expires_at: datetime | None = None
    cleared_by: str = ""
    cleared_at: datetime | None = None
    incident_id: int | None = None
    key: str = ""

    def active(self, now: datetime) -> bool:
        expired = self.expires_at is not None and self.expires_at <= now
        return self.cleared_at is None and not expired


# What a status, state or kind is called where a person reads it.
STATUS_LABELS: dict[ComponentStatus, Localized] = {
    ComponentStatus.OPERATIONAL: {"zh-CN": "正常", "zh-TW": "正常", "en": "Operational"},
    ComponentStatus.DEGRADED_PERFORMANCE: {
        "zh-CN": "性能下降",
        "zh-TW": "效能下降",
        "en": "Degraded performance",
    },
    ComponentStatus.PARTIAL_OUTAGE: {
        "zh-CN": "部分中断",
        "zh-TW": "部分中斷",
        "en": "Partial outage",
    },
    ComponentStatus.MAJOR_OUTAGE: {"zh-CN": "严重中断", "zh-TW": "嚴重中斷", "en": "Major outage"},
    ComponentStatus.UNDER_MAINTENANCE: {
        "zh-CN": "维护中",
        "zh-TW": "維護中",
        "en": "Under maintenance",
    },
}
STATE_LABELS: dict[NoticeState, Localized] = {
    NoticeState.INVESTIGATING: {"zh-CN": "调查中", "zh-TW": "調查中", "en": "Investigating"},
    NoticeState.IDENTIFIED: {"zh-CN": "已确认原因", "zh-TW": "已確認原因", "en": "Identified"},
    NoticeState.MONITORING: {"zh-CN": "观察中", "zh-TW": "觀察中", "en": "Monitoring"},
    NoticeState.RESOLVED: {"zh-CN": "已解决", "zh-TW": "已解決", "en": "Resolved"},
    NoticeState.SCHEDULED: {"zh-CN": "已计划", "zh-TW": "已排程", "en": "Scheduled"},
    NoticeState.IN_PROGRESS: {"zh-CN": "进行中", "zh-TW": "進行中", "en": "In progress"},
    NoticeState.VERIFYING: {"zh-CN": "验证中", "zh-TW": "驗證中", "en": "Verifying"},
    NoticeState.COMPLETED: {"zh-CN": "已完成", "zh-TW": "已完成", "en": "Completed"},
}
KIND_LABELS: dict[NoticeKind, Localized] = {
    NoticeKind.INCIDENT: {"zh-CN": "服务异常", "zh-TW": "服務異常", "en": "Service incident"},
    NoticeKind.MAINTENANCE: {
        "zh-CN": "计划维护",
        "zh-TW": "計劃維護",
        "en": "Scheduled maintenance",
    },
}
_COLON = {"zh-CN": "：", "zh-TW": "：", "en": ": "}
_COMMA = {"zh-CN": "、", "zh-TW": "、", "en": ", "}


def in_locale(texts: Localized, locale: str) -> str:
    """The text in ``locale``, else English, else the first there is."""
    if locale in texts:
        return texts[locale]
    return texts.get("en") or next(iter(texts.values()), "")


def fallback_title(
    kind: NoticeKind,
    components: Mapping[str, ComponentStatus],
    known: Mapping[str, Component],
) -> dict[str, str]:
    """A notice's title when its script has no ``titles``: the affected components and
    their worst status ("Web chat, Hotline: Major outage"), else the kind of notice."""
    if not components:
        return {locale: KIND_LABELS[kind][locale] for locale in LOCALES}
    status = STATUS_LABELS[worst(components.values())]
    titles = {}
    for locale in LOCALES:
        shown = [in_locale(known[item].name, locale) if item in known else item
                 for item in components]  # fmt: skip
        titles[locale] = _COMMA[locale].join(shown) + _COLON[locale] + status[locale]
    return titles


class NoticeConflict(Exception):
    """The change does not fit the notice as it is now (a draft published already, or
    older than the version published since); nothing was changed."""


@dataclass(frozen=True)
class NoticeChange:
    """What a store call that writes a version answers: the notice and the version as
    stored, and whether this call wrote them (False: a re-run found them)."""

    notice: Notice
    version: NoticeVersion
    created: bool = True


@dataclass(frozen=True)
class StatusRows:
    """What the public pages show, read from the store at ``revision``."""

    revision: int
    components: Mapping[str, ComponentState]
    notices: tuple[Notice, ...]  # public and published: open, or closed since the cut-off
    versions: Mapping[int, tuple[NoticeVersion, ...]]  # their published versions, oldest first
    banners: tuple[Banner, ...]  # not cleared and not expired, newest first
