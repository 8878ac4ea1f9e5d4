"""The playbook as the engine uses it, after parsing and validation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from surge.triggers.matchers import Matcher
from surge.yamlpos import Pos

ParamType = Literal["string", "int", "float", "bool", "duration", "enum", "list"]
FailurePolicy = Literal["abort", "continue", "fallback"]
ClearAction = Literal["resolve", "mitigate", "note"]
DEFAULT_MAX_OPEN = 20


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    item_type: ParamType = "string"  # for lists
    description: str = ""
    pos: Pos | None = None


@dataclass(frozen=True)
class Retry:
    attempts: int = 1  # total attempts, the first one included
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    max_backoff: float = 300.0


@dataclass(frozen=True)
class OnFailure:
    policy: FailurePolicy = "abort"
    fallback: str | None = None  # step id, when policy is "fallback"


@dataclass(frozen=True)
class Step:
    id: str
    action: str
    with_: dict[str, Any] = field(default_factory=dict)
    when: str | None = None
    timeout: float | None = None
    retry: Retry = field(default_factory=Retry)
    on_failure: OnFailure = field(default_factory=OnFailure)
    pos: Pos | None = None
    # where each ``with`` value was written, and each key of a mapping value as
    # "params.channel": for problems found across playbooks (``playbook.trigger``)
    with_pos: Mapping[str, Pos] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ManualTrigger:
    roles: tuple[str, ...] = ("responder",)
    pos: Pos | None = None


@dataclass(frozen=True)
class AlertTrigger:
    """Alertmanager alerts whose labels satisfy every matcher start the playbook."""

    matchers: tuple[Matcher, ...] = ()  # `match`, `match_re` and `matchers` together
    params: dict[str, str] = field(default_factory=dict)  # param -> template over labels
    on_clear: ClearAction = "resolve"  # what a "resolved" notification does
    pos: Pos | None = None


@dataclass(frozen=True)
class MetricTrigger:
    query: str
    for_: float = 0.0
    clear: str | None = None
    clear_for: float = 0.0
    on_clear: ClearAction = "resolve"
    # The series the conditions test, without thresholds: lets surge tell "between the
    # thresholds" (in neither answer, but here) from "no data" (not here either).
    data: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    id: str | None = None  # keeps its timers and incidents across edits of the queries
    pos: Pos | None = None

    @property
    def key(self) -> str:
        """What the trigger's stored timers and signals are filed under: its ``id``, or
        else its conditions, so reordering a playbook's triggers changes nothing."""
        if self.id:
            return self.id
        text = "\0".join((self.query, self.clear or "", self.data or ""))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


Trigger = ManualTrigger | AlertTrigger | MetricTrigger


@dataclass(frozen=True)
class Department:
    """A department the post-incident report goes to, with what it should follow up
    (a template over ``params`` and ``incident``, rendered into the report)."""

    name: str
    follow_up: str = ""


@dataclass(frozen=True)
class ReportSpec:
    """The playbook's ``report``: the locale of its headings, and its departments."""

    locale: str = "zh-CN"
    departments: tuple[Department, ...] = ()


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    kind: str = "generic"
    severity: str = "warning"
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    group_by: tuple[str, ...] = ()
    cooldown: float = 0.0
    max_open: int = DEFAULT_MAX_OPEN  # open incidents at most; more alerts are held back
    # what its incidents concern, as templates over params and the signal, e.g.
    # "{{ params.channel }}": a maintenance window of a component silences them
    components: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    on_resolve: tuple[Step, ...] = ()
    report: ReportSpec = field(default_factory=ReportSpec)
    source: str = ""  # file it came from
    content_hash: str = ""  # sha256 of the file's bytes, recorded on each incident

    def step(self, phase: str, index: int) -> Step:
        return (self.steps if phase == "steps" else self.on_resolve)[index]

    def step_index(self, step_id: str) -> int:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)

    def group_key(self, params: Mapping[str, Any]) -> str:
        """Incidents of this playbook with equal ``group_by`` params are one incident."""
        return (
            json.dumps(
                [params.get(name) for name in self.group_by], ensure_ascii=False, default=str
            )
            if self.group_by
            else "*"
        )

    def manual_roles(self) -> tuple[str, ...]:
        roles: list[str] = []
        for trigger in self.triggers:
            if isinstance(trigger, ManualTrigger):
                roles.extend(trigger.roles)
        return tuple(roles)


SEVERITIES = ("info", "warning", "major", "critical")
