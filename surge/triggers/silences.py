"""Silences: alerts and metric conditions that match one are recorded but start nothing.

A silence holds from ``starts_at`` until ``ends_at`` (``None``: until it is expired by
hand). With ``windows`` it holds only inside them, by the wall clock of its ``timezone``:
``{"days": ["fri"], "start": "22:00", "end": "06:00"}`` is Friday 22:00 to Saturday
06:00 local time, whatever the UTC offset is on either side of a daylight-saving change.
An end at or before the start runs past midnight into the next day; ``24:00`` is midnight
at the end of the day.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from surge.durations import DurationError, parse_duration
from surge.store.base import Store
from surge.store.records import Silence
from surge.triggers.matchers import Matcher, matches_all, parse_matcher, parse_matchers

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
WHOLE_DAY = ("00:00", "24:00")
FIELDS = ("matchers", "starts_at", "ends_at", "for", "windows", "window", "timezone", "comment")
SilenceState = Literal["active", "scheduled", "expired"]

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = {**{day: day for day in DAYS}, **{name: name[:3] for name in _FULL_NAMES}}
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_RANGE = re.compile(r"([0-9:]+)\s*[-–]\s*([0-9:]+)\s*$")  # the times at the end of a window
_WINDOW_EXAMPLE = '{"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}'
_WINDOW_HELP = (
    "write DAYS [HH:MM-HH:MM], for example 'daily 22:00-06:00', 'weekdays 09:00-18:00', "
    "'weekends', 'sat,sun 00:00-24:00' or 'mon 02:00-04:00'"
)


class SilenceError(ValueError):
    """A silence that cannot be stored; ``problems`` says every reason at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# -- matching and time ----------------------------------------------------------------------


def silence_matches(silence: Silence, labels: Mapping[str, str]) -> bool:
    """Every matcher of the silence holds for ``labels`` (a missing label is "").

    A silence without matchers, or with one that cannot be read, matches nothing.
    """
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


# -- windows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Weekdays and a wall-clock span, in minutes after midnight (``end`` up to 1440)."""

    days: tuple[str, ...]
    start: int
    end: int

    def covers(self, local: datetime) -> bool:
        """``local`` (a time in the silence's zone) falls inside the window."""
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        today, yesterday = DAYS[local.weekday()], DAYS[local.weekday() - 1]
        if self.start < self.end:
            return today in self.days and self.start <= minute < self.end
        # past midnight: the evening of a listed day, or the morning after one
        return (today in self.days and minute >= self.start) or (
            yesterday in self.days and minute < self.end
        )

    def as_dict(self) -> dict[str, Any]:
        return {"days": list(self.days), "start": _clock(self.start), "end": _clock(self.end)}


def read_window(data: object) -> Window:
    """A stored or posted window ``{"days": [...], "start": "HH:MM", "end": "HH:MM"}``."""
    if not isinstance(data, Mapping):
        raise ValueError(f"a window is a text such as 'daily 22:00-06:00', or {_WINDOW_EXAMPLE}")
    unknown = sorted(set(map(str, data)) - {"days", "start", "end"})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in a window; it has days, start and end")
    days = data.get("days")
    if not isinstance(days, list) or not days or not all(isinstance(day, str) for day in days):
        raise ValueError('a window needs "days": a list such as ["mon", "tue"]')
    start, end = _minutes(data.get("start"), "start"), _minutes(data.get("end"), "end")
    return _window(_days(days), start, end)


def parse_window(text: str) -> dict[str, Any]:
    """``daily 22:00-06:00``, ``weekdays 09:00-18:00``, ``weekends`` (whole days),
    ``sat,sun 00:00-24:00``, ``mon-fri 09:00-18:00``, ``mon 02:00-04:00`` → a window dict."""
    found = _RANGE.search(text)
    day_part = text[: found.start()] if found else text
    tokens = [token for token in re.split(r"[\s,]+", day_part.strip().lower()) if token]
    if not tokens or any(char.isdigit() for char in day_part):
        raise ValueError(f"{text!r} is not a window: {_WINDOW_HELP}")
    days = [day for token in tokens for day in _day_token(token)]
    start, end = found.groups() if found else WHOLE_DAY
    return _window(_days(days), _minutes(start, "start"), _minutes(end, "end")).as_dict()


def format_window(window: Mapping[str, Any]) -> str:
    """The short text of a window, as ``parse_window`` reads it: ``daily 22:00–06:00``."""
    parsed = read_window(window)
    named = [name for name, days in DAY_SETS.items() if days == parsed.days]
    label = named[0] if named else ",".join(parsed.days)
    if (parsed.start, parsed.end) == (0, 1440):
        return label
    return f"{label} {_clock(parsed.start)}–{_clock(parsed.end)}"


def _window(days: tuple[str, ...], start: int, end: int) -> Window:
    if start == 1440:
        raise ValueError("a window cannot start at 24:00; write 00:00")
    if start == end:
        raise ValueError(
            f"a window from {_clock(start)} to {_clock(end)} is empty or a whole day: "
            "for whole days write 00:00-24:00"
        )
    return Window(days, start, end)


def _day_token(token: str) -> tuple[str, ...]:
    if token in DAY_SETS:
        return DAY_SETS[token]
    first, dash, last = token.partition("-")
    if not dash:
        return (_day(token),)
    start, stop = DAYS.index(_day(first)), DAYS.index(_day(last))  # fri-mon runs over sunday
    return tuple(DAYS[(start + step) % 7] for step in range((stop - start) % 7 + 1))


def _day(name: str) -> str:
    day = _DAY_NAMES.get(name.strip().lower())
    if day is None:
        raise ValueError(
            f"unknown day {name!r}: days are {', '.join(DAYS)}, ranges such as mon-fri, "
            "or daily, weekdays, weekends"
        )
    return day


def _days(names: Sequence[str]) -> tuple[str, ...]:
    wanted = {_day(name) for name in names}
    return tuple(day for day in DAYS if day in wanted)


def _minutes(value: object, what: str) -> int:
    found = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    minutes = int(found.group(1)) * 60 + int(found.group(2)) if found else -1
    if found is None or int(found.group(2)) > 59 or minutes > 1440:
        raise ValueError(
            f"{what} of a window must be a time of day HH:MM, 00:00 to 24:00; got {value!r}"
        )
    return minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- time zones and times -------------------------------------------------------------------


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``, ``Europe/Berlin``, ``UTC``)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown time zone {name!r}{hint} (use an IANA name such as Asia/Shanghai, "
            "Europe/Berlin or UTC)"
        ) from None


def read_time(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time; one written without an offset is read in ``zone``. In UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 time such as 2030-06-01T14:00 or 2030-06-01T06:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None


# -- checking and building ------------------------------------------------------------------


def silence_problems(silence: Silence) -> list[str]:
    """Why ``silence`` may not be stored; empty when it may."""
    return [message for _, message in _problems(silence)]


def _problems(silence: Silence) -> list[tuple[str, str]]:
    """``(field, message)`` for each problem."""
    problems = [("matchers", message) for message in _matcher_problems(silence.matchers)]
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


def _matcher_problems(texts: Sequence[str]) -> list[str]:
    if not texts:
        return ["a silence needs at least one matcher: without one it would silence everything"]
    problems, matchers = [], []
    for text in texts:
        try:
            matchers.append(parse_matcher(text))
        except ValueError as error:
            problems.append(str(error))
        except (RecursionError, OverflowError):
            problems.append(f"{text!r}: the regular expression is too large")
    if not problems and matches_all(matchers, {}):
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
