"""Recurring windows for silences: weekdays and a wall-clock span in a named time zone.

``{"days": ["fri"], "start": "22:00", "end": "06:00"}`` is Friday 22:00 to Saturday 06:00
local time, whatever the UTC offset is on either side of a daylight-saving change. An end
at or before the start runs past midnight into the next day; ``24:00`` is midnight at the
end of the day.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
WHOLE_DAY = ("00:00", "24:00")

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = {**{day: day for day in DAYS}, **{name: name[:3] for name in _FULL_NAMES}}
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_RANGE = re.compile(r"([0-9:]+)\s*[-–]\s*([0-9:]+)\s*$")  # the times at the end of a window
_WINDOW_EXAMPLE = '{"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}'
_WINDOW_HELP = (
    "write DAYS [HH:MM-HH:MM], for example 'daily 22:00-06:00', 'weekdays 09:00-18:00', "
    "'weekends', 'sat,sun 00:00-24:00' or 'mon 02:00-04:00'"
)


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
