"""What an action is: its argument schema, the context it runs in and what it may return.

Actions are registered by plugins through the ``surge_register_actions`` hook; the
engine calls them, one step attempt at a time, and records what they return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from surge.durations import DurationError, parse_duration

if TYPE_CHECKING:
    import aiohttp

    from surge.config import Config
    from surge.services import Services
    from surge.store.records import Incident

ArgType = Literal["string", "int", "float", "bool", "duration", "mapping", "list", "any"]


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str, int, float),  # numbers are turned into text before the call
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "mapping": (dict,),
    "list": (list, tuple),
}
_EXPECTED = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "mapping": "a mapping",
    "list": "a list",
    "duration": "a duration such as 30s, 5m or 2h",
}


@dataclass(frozen=True)
class Arg:
    """One argument an action takes in its step's ``with``."""

    type: ArgType = "string"
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit this argument, or None. One rule for ``surge
        validate`` (literal values) and for the engine (rendered values)."""
        if self.type == "any":
            return None
        if not self._fits(value):
            return f"expected {_EXPECTED[self.type]}, got {_show(value)}"
        if self.choices and not isinstance(value, dict | list) and str(value) not in self.choices:
            return f"{value!r} is not one of {', '.join(self.choices)}"
        return None

    def _fits(self, value: Any) -> bool:
        if self.type == "duration":
            try:
                parse_duration(value)
            except (DurationError, TypeError):
                return False
            return True
        if isinstance(value, bool) and self.type != "bool":
            return False
        return isinstance(value, _TYPES[self.type])


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Defer:
    """Returned by an action that is not finished yet: call it again later.

    The engine stores ``state`` and the due time, so a wait survives a restart. The action
    is called again with ``ActionContext.resume`` set to ``state`` when ``until`` is due,
    or earlier when the incident's status changes and ``wake_on_status`` is set.
    """

    until: datetime
    state: Mapping[str, Any] = field(default_factory=dict)
    wake_on_status: bool = False
    message: str = ""


class ActionError(Exception):
    """An action failed. ``retryable`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


ActionResult = Mapping[str, Any] | Defer | None


@dataclass
class ActionContext:
    """Everything one call of an action may use. Built fresh for every attempt."""

    incident: Incident
    step_id: str
    attempt: int
    idempotency_key: str
    args: Mapping[str, Any]
    config: Config
    http: aiohttp.ClientSession
    now: datetime
    resume: Mapping[str, Any] | None = None
    note: Callable[[str, Mapping[str, Any] | None], Awaitable[None]] = field(
        default=lambda message, data=None: _no_note()
    )
    set_status: Callable[[str, str], Awaitable[None]] = field(
        default=lambda status, reason: _no_note()
    )
    # make an approved response script the incident's (raises ValueError when it may not)
    activate_script: Callable[[str, Mapping[str, Any]], Awaitable[Any]] = field(
        default=lambda script, variables: _no_note()
    )
    # the runtime's services (notices, rota, channels, …); see surge/services.py
    services: Services = field(default_factory=lambda: _services())


async def _no_note() -> None:
    return None


def _services() -> Services:
    from surge.services import Services

    return Services()


ActionCallable = Callable[[ActionContext], Awaitable[ActionResult]]


@dataclass(frozen=True)
class ActionSpec:
    """An action type: its name, arguments and how it behaves when re-run.

    ``idempotent``: running it twice has the effect of running it once (a timeline note).
    ``uses_idempotency_key``: the far side de-duplicates on ``ActionContext.idempotency_key``
    (a webhook receiver that honours ``Idempotency-Key``). Either makes it safe for the
    engine to run an attempt again after a crash; otherwise the attempt is marked
    ``unknown`` and the step's ``on_failure`` decides.
    """

    name: str
    run: ActionCallable
    args: Mapping[str, Arg] = field(default_factory=dict)
    description: str = ""
    idempotent: bool = False
    uses_idempotency_key: bool = False
    allow_extra_args: bool = False
    # Problems with how the given arguments combine (``for`` with ``until``); called by
    # ``surge validate`` with the literal arguments and by the engine with rendered ones.
    check: Callable[[Mapping[str, Any]], list[str]] | None = None
    # The argument that names another playbook (``playbook.trigger``): ``surge validate``
    # checks that a literal one is loaded and that the ``params`` given are its params.
    playbook_arg: str = ""

    @property
    def safe_to_rerun(self) -> bool:
        return self.idempotent or self.uses_idempotency_key


class ActionRegistry:
    """The action types known to one engine, filled by the plugin manager."""

    def __init__(self) -> None:
        self._actions: dict[str, ActionSpec] = {}
        self._owners: dict[str, str] = {}

    def add(self, spec: ActionSpec, owner: str) -> None:
        if spec.name in self._actions:
            raise ValueError(
                f"action {spec.name!r} from {owner} is already registered by "
                f"{self._owners[spec.name]}"
            )
        self._actions[spec.name] = spec
        self._owners[spec.name] = owner

    def get(self, name: str) -> ActionSpec | None:
        return self._actions.get(name)

    def owner(self, name: str) -> str:
        return self._owners[name]

    def names(self) -> list[str]:
        return sorted(self._actions)

    def __contains__(self, name: object) -> bool:
        return name in self._actions
