"""Silences: alerts and metric conditions that match one are recorded but start nothing.

A silence holds from ``starts_at`` until ``ends_at`` (``None``: until it is expired by
hand). With ``windows`` it holds only inside them, by the wall clock of its ``timezone``
(see ``windows``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Literal

from surge.durations import DurationError, parse_duration
from surge.store.base import Store
from surge.store.records import Silence
from surge.triggers.matchers import Matcher, matches_all, parse_matcher, parse_matchers
from surge.triggers.windows import parse_window, read_time, read_window, time_zone

SilenceState = Literal["active", "scheduled", "expired"]
FIELDS = (
    "matchers",
    "components",
    "starts_at",
    "ends_at",
    "for",
    "windows",
    "window",
    "timezone",
    "comment",
)
_COMPONENT = re.compile(r"[a-z0-9][a-z0-9_-]*")


class SilenceError(ValueError):
    """A silence that cannot be stored; ``problems`` says every reason at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# -- matching and time ----------------------------------------------------------------------


def silence_matches(
    silence: Silence, labels: Mapping[str, str], components: Sequence[str] | None = None
) -> bool:
    """Every matcher of the silence holds for ``labels`` (a missing label is ""), and, for
    a maintenance window (a silence with components), the signal concerns one of them.

    ``components`` None means "not known yet": then a maintenance window does not match,
    and is asked again once the playbook's components are rendered. A silence with
    neither matchers nor components, or a matcher that cannot be read, matches nothing.
    """
    if silence.components:
        if components is None or not set(silence.components) & set(components):
            return False
        return not silence.matchers or matches_all(_matchers(tuple(silence.matchers)), labels)
    matchers = _matchers(tuple(silence.matchers))
    return bool(matchers) and matches_all(matchers, labels)


def silence_active(silence: Silence, at: datetime) -> bool:
    """The silence holds at ``at`` (an aware datetime): started, not ended or expired,
    and, if it has windows, inside one of them in its time zone."""
    if silence_ended(silence, at) or at < silence.starts_at:
        return False
    if not silence.windows:
        return True
    try:
        local = at.astimezone(time_zone(silence.timezone))
    except ValueError:
        return False
    return any(_covers(window, local) for window in silence.windows)


def silence_ended(silence: Silence, at: datetime) -> bool:
    """Expired by hand, or past its ``ends_at``: it will never hold again."""
    if silence.expired_at is not None and silence.expired_at <= at:
        return True
    return silence.ends_at is not None and silence.ends_at <= at


def silence_state(silence: Silence, at: datetime) -> SilenceState:
    """``active`` now, ``scheduled`` (later, or between its windows), or ``expired``."""
    if silence_ended(silence, at):
        return "expired"
    return "active" if silence_active(silence, at) else "scheduled"


@lru_cache(maxsize=1024)
def _matchers(texts: tuple[str, ...]) -> tuple[Matcher, ...]:
    try:
        return parse_matchers(texts)
    except (ValueError, RecursionError, OverflowError):
        return ()


def _covers(window: Mapping[str, Any], local: datetime) -> bool:
    try:
        return read_window(window).covers(local)
    except ValueError:
        return False


# -- checking and building ------------------------------------------------------------------


def silence_problems(silence: Silence) -> list[str]:
    """Why ``silence`` may not be stored; empty when it may."""
    return [message for _, message in _problems(silence)]


def _problems(silence: Silence) -> list[tuple[str, str]]:
    """``(field, message)`` for each problem."""
    problems = [
        ("matchers", message)
        for message in _matcher_problems(silence.matchers, maintenance=bool(silence.components))
    ]
    problems += [
        ("components", f"{name!r} is not a component id (lowercase, digits, - and _)")
        for name in silence.components
        if not _COMPONENT.fullmatch(name)
    ]
    try:
        time_zone(silence.timezone)
    except ValueError as error:
        problems.append(("timezone", str(error)))
    for number, window in enumerate(silence.windows, 1):
        try:
            read_window(window)
        except ValueError as error:
            problems.append(("windows", f"window {number}: {error}"))
    if silence.ends_at is not None and silence.ends_at <= silence.starts_at:
        problems.append(("ends_at", "the silence must end after it starts"))
    if not silence.comment.strip():
        problems.append(("comment", "a comment is required: say why, so that others know"))
    return problems


def _matcher_problems(texts: Sequence[str], *, maintenance: bool = False) -> list[str]:
    if not texts:
        if maintenance:
            return []
        return [
            "a silence needs at least one matcher or component: without one it would silence "
            "everything"
        ]
    problems, matchers = [], []
    for text in texts:
        try:
            matchers.append(parse_matcher(text))
        except ValueError as error:
            problems.append(str(error))
        except (RecursionError, OverflowError):
            problems.append(f"{text!r}: the regular expression is too large")
    if not problems and not maintenance and matches_all(matchers, {}):
        problems.append(
            "every matcher also matches alerts without that label, so the silence would "
            'silence nearly everything: add one that needs a value, such as alertname="X"'
        )
    return problems


def silence_from_json(body: Mapping[str, Any], *, created_by: str, now: datetime) -> Silence:
    """A new silence from the JSON form the API takes (and the CLI sends), checked.

    ``{matchers: [...], starts_at?, ends_at? | for?: "2h", windows?: [text or dict],
    window?: text, timezone?: "Asia/Shanghai", comment}``. Times without an offset are
    read in ``timezone`` (default UTC); ``for`` counts from ``starts_at`` (default now).
    Without windows an end is needed. Raises ``SilenceError`` with every problem.
    """
    reader = _BodyReader(body)
    silence = reader.silence(created_by, now)
    found = [message for field, message in _problems(silence) if field not in reader.bad]
    if reader.problems or found:
        raise SilenceError(reader.problems + found)
    return silence


class _BodyReader:
    """Turns the JSON body into a ``Silence``, noting what had the wrong shape."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.problems: list[str] = []
        self.bad: set[str] = set()  # fields whose shape was wrong: no second message
        for key in body:
            if key not in FIELDS:
                self._problem(key, f"unknown field {key!r}; the fields are {', '.join(FIELDS)}")

    def _problem(self, field: str, message: str) -> None:
        self.problems.append(message)
        self.bad.add(field)

    def silence(self, created_by: str, now: datetime) -> Silence:
        timezone = self._text("timezone", "UTC")
        try:
            zone: tzinfo = time_zone(timezone)
        except ValueError:
            zone = UTC  # reported by silence_problems
        starts_at = self._time("starts_at", zone) or now
        windows = self._windows()
        return Silence(
            id=0,
            matchers=self._matchers(),
            components=self._components(),
            starts_at=starts_at,
            ends_at=self._end(starts_at, zone, now, recurs=bool(windows) or "windows" in self.bad),
            comment=self._text("comment", ""),
            created_by=created_by,
            created_at=now,
            windows=windows,
            timezone=timezone,
        )

    def _text(self, key: str, default: str) -> str:
        value = self.body.get(key, default)
        if isinstance(value, str):
            return value
        self._problem(key, f"{key} must be a string")
        return default

    def _matchers(self) -> list[str]:
        texts = self.body.get("matchers", [])
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            self._problem("matchers", 'matchers must be a list of texts such as ["alertname=X"]')
            return []
        return [_canonical(text) for text in texts]

    def _components(self) -> list[str]:
        names = self.body.get("components", [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            self._problem("components", 'components must be a list of ids such as ["web-chat"]')
            return []
        return list(dict.fromkeys(names))

    def _time(self, key: str, zone: tzinfo) -> datetime | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return read_time(value, zone)
            except ValueError as error:
                self._problem(key, f"{key}: {error}")
                return None
        self._problem(key, f"{key} must be an ISO 8601 time in a string")
        return None

    def _end(
        self, starts_at: datetime, zone: tzinfo, now: datetime, *, recurs: bool
    ) -> datetime | None:
        ends_at, length = self._time("ends_at", zone), self._length()
        if "ends_at" in self.bad or "for" in self.bad:
            return None
        if ends_at is not None and length is not None:
            self._problem("ends_at", "give ends_at or for, not both")
        elif length is not None:
            ends_at = self._after(starts_at, length)
        elif ends_at is None and not recurs:
            self._problem("ends_at", "a silence without windows needs an end: ends_at or for")
        if ends_at is not None and ends_at <= now:
            self._problem("ends_at", "the silence would end in the past")
        return ends_at

    def _after(self, starts_at: datetime, seconds: float) -> datetime | None:
        try:
            return starts_at + timedelta(seconds=seconds)
        except OverflowError:
            self._problem("for", "for runs past the year 9999")
            return None

    def _length(self) -> float | None:
        value = self.body.get("for")
        if value is None:
            return None
        try:
            seconds = parse_duration(value)
        except (DurationError, TypeError) as error:
            self._problem("for", f"for: {error}")
            return None
        if seconds <= 0:
            self._problem("for", "for must be longer than 0s")
            return None
        return seconds

    def _windows(self) -> list[dict[str, Any]]:
        items = self.body.get("windows", [])
        if not isinstance(items, list):
            self._problem("windows", "windows must be a list")
            items = []
        if self.body.get("window") is not None:
            items = [*items, self.body["window"]]
        windows = []
        for number, item in enumerate(items, 1):
            try:
                parsed = (
                    parse_window(item) if isinstance(item, str) else read_window(item).as_dict()
                )
            except ValueError as error:
                self._problem("windows", f"window {number}: {error}")
                continue
            windows.append(parsed)
        return windows


def _canonical(text: str) -> str:
    """``alertname=X`` as it is shown and stored: ``alertname="X"``."""
    try:
        return str(parse_matcher(text))
    except (ValueError, RecursionError, OverflowError):
        return text  # reported by silence_problems


# -- the store ------------------------------------------------------------------------------


async def expire_by_hand(store: Store, silence_id: int, at: datetime) -> Silence | None:
    """Expire a silence by hand (a no-op if it has already); None if there is no such one."""
    await store.expire_silence(silence_id, at)
    return next((item for item in await store.list_silences() if item.id == silence_id), None)
