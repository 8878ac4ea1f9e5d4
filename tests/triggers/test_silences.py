"""Silences: what they match, when they hold (windows, midnight, daylight saving), and
what the API and CLI may store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from surge.store.records import Silence
from surge.triggers.silences import (
    SilenceError,
    silence_active,
    silence_from_json,
    silence_matches,
    silence_problems,
    silence_state,
)
from surge.triggers.windows import format_window, parse_window, read_time, time_zone

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAILY_NIGHT = {"days": EVERY_DAY, "start": "22:00", "end": "06:00"}


def make(**changes: Any) -> Silence:
    base = Silence(
        id=1,
        matchers=['alertname="Down"'],
        starts_at=NOW - timedelta(days=400),
        ends_at=None,
        comment="maintenance",
        created_by="alice",
        created_at=NOW,
    )
    return replace(base, **changes)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def minutes_active(silence: Silence, start: datetime, hours: int) -> int:
    """How many minutes in ``hours`` from ``start`` (in real time) the silence holds."""
    moments = (start + timedelta(minutes=step) for step in range(hours * 60))
    return sum(silence_active(silence, moment) for moment in moments)


# -- matching --


def test_every_matcher_must_match() -> None:
    silence = make(matchers=['alertname="Down"', 'severity=~"critical|major"', 'env!="staging"'])
    assert silence_matches(silence, {"alertname": "Down", "severity": "major"})
    assert not silence_matches(silence, {"alertname": "Down", "severity": "minor"})
    assert not silence_matches(
        silence, {"alertname": "Down", "severity": "major", "env": "staging"}
    )
    assert not silence_matches(silence, {"severity": "major"})  # missing label is ""


def test_a_silence_without_readable_matchers_matches_nothing() -> None:
    assert not silence_matches(make(matchers=[]), {"alertname": "Down"})
    assert not silence_matches(make(matchers=["alertname=Down", 'x=~"("']), {"alertname": "Down"})


# -- when it holds --


def test_from_start_until_end_or_expiry() -> None:
    silence = make(starts_at=NOW, ends_at=NOW + timedelta(hours=2))
    assert not silence_active(silence, NOW - timedelta(seconds=1))
    assert silence_active(silence, NOW)
    assert silence_active(silence, NOW + timedelta(hours=2) - timedelta(microseconds=1))
    assert not silence_active(silence, NOW + timedelta(hours=2))
    expired = replace(silence, expired_at=NOW + timedelta(hours=1))
    assert silence_active(expired, NOW + timedelta(minutes=59))
    assert not silence_active(expired, NOW + timedelta(hours=1))
    assert silence_active(make(), NOW + timedelta(days=3650))  # open-ended


def test_state() -> None:
    silence = make(starts_at=NOW, ends_at=NOW + timedelta(hours=2))
    assert silence_state(silence, NOW - timedelta(minutes=1)) == "scheduled"
    assert silence_state(silence, NOW) == "active"
    assert silence_state(silence, NOW + timedelta(hours=2)) == "expired"
    nightly = make(windows=[DAILY_NIGHT])
    assert silence_state(nightly, utc(2026, 11, 25, 12)) == "scheduled"  # between windows
    assert silence_state(nightly, utc(2026, 11, 25, 23)) == "active"
    assert silence_state(replace(nightly, expired_at=NOW), utc(2026, 11, 25, 23)) == "expired"


def test_a_friday_night_window_runs_into_saturday() -> None:
    silence = make(windows=[{"days": ["fri"], "start": "22:00", "end": "06:00"}])
    assert not silence_active(silence, utc(2026, 11, 27, 3))  # Friday 03:00
    assert not silence_active(silence, utc(2026, 11, 27, 21, 59))
    assert silence_active(silence, utc(2026, 11, 27, 22))
    assert silence_active(silence, utc(2026, 11, 28, 3))  # Saturday 03:00
    assert silence_active(silence, utc(2026, 11, 28, 5, 59))
    assert not silence_active(silence, utc(2026, 11, 28, 6))
    assert not silence_active(silence, utc(2026, 11, 28, 23))  # Saturday night
    assert not silence_active(silence, utc(2026, 11, 29, 3))  # Sunday 03:00


def test_a_sunday_night_window_runs_into_monday() -> None:
    silence = make(windows=[{"days": ["sun"], "start": "23:00", "end": "01:00"}])
    assert silence_active(silence, utc(2026, 11, 30, 0, 30))  # Monday 00:30
    assert not silence_active(silence, utc(2026, 11, 24, 0, 30))  # Tuesday 00:30


def test_ends_at_midnight() -> None:
    until_midnight = make(windows=[{"days": ["sat"], "start": "18:00", "end": "24:00"}])
    assert silence_active(until_midnight, utc(2026, 11, 28, 23, 59, 59))
    assert not silence_active(until_midnight, utc(2026, 11, 29, 0))
    same = make(windows=[{"days": ["sat"], "start": "18:00", "end": "00:00"}])
    assert [minutes_active(s, utc(2026, 11, 28), 48) for s in (until_midnight, same)] == [360, 360]


def test_whole_days_and_several_windows() -> None:
    weekends = make(windows=[parse_window("weekends")])
    assert minutes_active(weekends, utc(2026, 11, 23), 7 * 24) == 2 * 24 * 60
    two = make(windows=[parse_window("mon 02:00-04:00"), parse_window("wed 10:00-11:00")])
    assert minutes_active(two, utc(2026, 11, 23), 7 * 24) == 180


def test_windows_only_inside_starts_and_ends() -> None:
    silence = make(
        windows=[DAILY_NIGHT], starts_at=utc(2026, 11, 25, 23), ends_at=utc(2026, 11, 26, 1)
    )
    assert minutes_active(silence, utc(2026, 11, 25), 48) == 120


def test_berlin_in_march_the_night_is_an_hour_shorter() -> None:
    silence = make(windows=[DAILY_NIGHT], timezone="Europe/Berlin")
    # Saturday 28 March 06:00 is 05:00 UTC (CET); Sunday 29 March 06:00 is 04:00 UTC (CEST)
    assert silence_active(silence, utc(2026, 3, 28, 4, 59))
    assert not silence_active(silence, utc(2026, 3, 28, 5))
    assert silence_active(silence, utc(2026, 3, 29, 3, 59))
    assert not silence_active(silence, utc(2026, 3, 29, 4))
    # Saturday 22:00 CET to Sunday 06:00 CEST: seven real hours
    assert minutes_active(silence, utc(2026, 3, 28, 12), 24) == 7 * 60


def test_berlin_in_october_the_night_is_an_hour_longer() -> None:
    silence = make(windows=[DAILY_NIGHT], timezone="Europe/Berlin")
    assert silence_active(silence, utc(2026, 10, 25, 4, 30))  # 05:30 CET
    assert not silence_active(silence, utc(2026, 10, 24, 4, 30))  # 06:30 CEST
    assert silence_active(silence, utc(2026, 10, 24, 20))  # Saturday 22:00 CEST
    assert minutes_active(silence, utc(2026, 10, 24, 12), 24) == 9 * 60


def test_berlin_an_hour_that_is_skipped_or_repeated() -> None:
    silence = make(
        windows=[{"days": ["sun"], "start": "02:00", "end": "03:00"}], timezone="Europe/Berlin"
    )
    assert minutes_active(silence, utc(2026, 3, 28, 12), 24) == 0  # 02:00-03:00 does not exist
    assert minutes_active(silence, utc(2026, 10, 24, 12), 24) == 120  # it happens twice
    assert silence_active(silence, utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert silence_active(silence, utc(2026, 10, 25, 1, 30))  # 02:30 CET
    assert not silence_active(silence, utc(2026, 10, 25, 2))  # 03:00 CET


def test_shanghai_has_no_daylight_saving() -> None:
    silence = make(windows=[DAILY_NIGHT], timezone="Asia/Shanghai")
    for day in (utc(2026, 3, 29), utc(2026, 10, 25), utc(2026, 7, 1)):
        assert minutes_active(silence, day, 24) == 8 * 60
        assert silence_active(silence, day + timedelta(hours=14))  # 22:00 in Shanghai
        assert not silence_active(silence, day + timedelta(hours=13, minutes=59))
        assert not silence_active(silence, day + timedelta(hours=22))  # 06:00 next morning


def test_a_broken_stored_window_or_zone_silences_nothing() -> None:
    assert not silence_active(make(windows=[{"days": ["someday"]}]), NOW)
    assert not silence_active(
        make(windows=[DAILY_NIGHT], timezone="Mars/Olympus"), utc(2026, 1, 1, 23)
    )


# -- windows as people write them --


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("daily 22:00-06:00", "mon tue wed thu fri sat sun", "22:00", "06:00"),
        ("weekdays 09:00-18:00", "mon tue wed thu fri", "09:00", "18:00"),
        ("weekends", "sat sun", "00:00", "24:00"),
        ("sat,sun 00:00-24:00", "sat sun", "00:00", "24:00"),
        ("mon 02:00-04:00", "mon", "02:00", "04:00"),
        ("  Sun, SAT  9:30 – 17:00 ", "sat sun", "09:30", "17:00"),
        ("mon-wed 1:00-2:00", "mon tue wed", "01:00", "02:00"),
        ("fri-mon", "mon fri sat sun", "00:00", "24:00"),
        ("friday 22:00-00:00", "fri", "22:00", "00:00"),
    ],
)
def test_parse_window(text: str, days: str, start: str, end: str) -> None:
    assert parse_window(text) == {"days": days.split(), "start": start, "end": end}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a window: write DAYS [HH:MM-HH:MM]"),
        ("22:00-06:00", "is not a window"),
        ("daily 22:00", "is not a window"),
        ("nightly 22:00-06:00", "unknown day 'nightly'"),
        ("mon-funday", "unknown day 'funday'"),
        ("daily 9-17", "start of a window must be a time of day HH:MM, 00:00 to 24:00; got '9'"),
        ("daily 22:00-24:01", "end of a window must be a time of day"),
        ("daily 10:60-11:00", "start of a window must be a time of day"),
        ("daily 24:00-06:00", "a window cannot start at 24:00"),
        ("daily 10:00-10:00", "for whole days write 00:00-24:00"),
    ],
)
def test_parse_window_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_window(text)


def test_format_window_reads_back() -> None:
    for text, shown in [
        ("daily 22:00-06:00", "daily 22:00–06:00"),
        ("mon-fri 9:00-18:00", "weekdays 09:00–18:00"),
        ("sat,sun 00:00-24:00", "weekends"),
        ("tue,thu 02:00-04:00", "tue,thu 02:00–04:00"),
    ]:
        assert format_window(parse_window(text)) == shown
        assert parse_window(shown) == parse_window(text)


def test_time_zones_and_times() -> None:
    assert str(time_zone("Asia/Shanghai")) == "Asia/Shanghai"
    with pytest.raises(
        ValueError, match="unknown time zone 'Asia/Shangai'; did you mean 'Asia/Shanghai'"
    ):
        time_zone("Asia/Shangai")
    for name in ("", "../etc/passwd", "/etc/localtime", "Asia"):
        with pytest.raises(ValueError, match="unknown time zone"):
            time_zone(name)
    shanghai = time_zone("Asia/Shanghai")
    assert read_time("2026-11-25T16:00", shanghai) == NOW
    assert read_time("2026-11-25T08:00Z", shanghai) == NOW
    assert read_time("2026-11-25 09:00+01:00", shanghai) == NOW
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        read_time("tomorrow", shanghai)


# -- what may be stored --


def build(**body: Any) -> Silence:
    return silence_from_json(body, created_by="alice", now=NOW)


def refused(**body: Any) -> list[str]:
    with pytest.raises(SilenceError) as caught:
        build(**body)
    return caught.value.problems


def test_a_silence_for_two_hours() -> None:
    silence = build(matchers=["alertname=Down", "env!=staging"], comment="deploy", **{"for": "2h"})
    assert silence.matchers == ['alertname="Down"', 'env!="staging"']
    assert (silence.starts_at, silence.ends_at) == (NOW, NOW + timedelta(hours=2))
    assert (silence.created_by, silence.created_at, silence.timezone) == ("alice", NOW, "UTC")
    assert silence_problems(silence) == []


def test_times_without_offset_are_in_the_silence_zone() -> None:
    silence = build(
        matchers=["alertname=Down"],
        comment="c",
        timezone="Asia/Shanghai",
        starts_at="2026-11-26T00:00",
        ends_at="2026-11-26T06:00+08:00",
    )
    assert silence.starts_at == utc(2026, 11, 25, 16)
    assert silence.ends_at == utc(2026, 11, 25, 22)
    later = build(matchers=["a=b"], comment="c", starts_at="2026-11-26T00:00Z", **{"for": "30m"})
    assert later.ends_at == utc(2026, 11, 26, 0, 30)


def test_recurring_silences_need_no_end() -> None:
    silence = build(
        matchers=["alertname=Down"],
        comment="nightly",
        timezone="Europe/Berlin",
        window="daily 22:00-06:00",
        windows=["weekends", {"days": ["Monday", "fri"], "start": "9:00", "end": "10:00"}],
    )
    assert silence.ends_at is None
    assert silence.windows == [
        parse_window("weekends"),
        {"days": ["mon", "fri"], "start": "09:00", "end": "10:00"},
        DAILY_NIGHT,
    ]


def test_every_problem_at_once() -> None:
    problems = refused(
        matchers=["alertname", 'job=~"("'],
        timezone="Asia/Shangai",
        windows=["nightly", {"days": ["mon"], "start": "22:00"}],
        comment=" ",
        colour="red",
    )
    assert problems == [
        "unknown field 'colour'; the fields are matchers, components, starts_at, ends_at, for, "
        "windows, window, timezone, comment",
        "window 1: unknown day 'nightly': days are mon, tue, wed, thu, fri, sat, sun, "
        "ranges such as mon-fri, or daily, weekdays, weekends",
        "window 2: end of a window must be a time of day HH:MM, 00:00 to 24:00; got None",
        "'alertname' is not a matcher: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX",
        "job=~'(': not a valid regular expression: missing ), unterminated subpattern at "
        "position 0",
        "unknown time zone 'Asia/Shangai'; did you mean 'Asia/Shanghai'? (use an IANA name such "
        "as Asia/Shanghai, Europe/Berlin or UTC)",
        "a comment is required: say why, so that others know",
    ]


DROP = "<leave this field out>"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"matchers": []}, "a silence needs at least one matcher or component: without one"),
        ({"components": ["Web Chat"]}, "'Web Chat' is not a component id"),
        ({"matchers": ["env!=staging"]}, "every matcher also matches alerts without that label"),
        ({"matchers": ['a=~".*"', 'b=""']}, "every matcher also matches alerts without that label"),
        ({"matchers": "alertname=Down"}, "matchers must be a list of texts"),
        ({"matchers": [3]}, "matchers must be a list of texts"),
        ({"for": DROP}, "a silence without windows needs an end: ends_at or for"),
        ({"ends_at": "2026-11-25T10:00Z"}, "give ends_at or for, not both"),
        ({"for": "0s"}, "for must be longer than 0s"),
        ({"for": "soon"}, "for: expected a duration"),
        ({"starts_at": "9999-12-31T00:00Z", "for": "2d"}, "for runs past the year 9999"),
        (
            {"for": DROP, "ends_at": "0001-01-01T00:00+08:00"},
            "ends_at: '0001-01-01T00:00+08:00' is out",
        ),
        ({"for": DROP, "ends_at": "2026-11-25T07:00Z"}, "the silence would end in the past"),
        ({"for": DROP, "ends_at": 3}, "ends_at must be an ISO 8601 time in a string"),
        ({"for": DROP, "ends_at": "later"}, "ends_at: 'later' is not an ISO 8601 time"),
        (
            {"starts_at": "2026-11-26T00:00Z", "for": DROP, "ends_at": "2026-11-25T09:00Z"},
            "the silence must end after it starts",
        ),
        ({"windows": "daily"}, "windows must be a list"),
        ({"windows": [{"days": []}]}, 'window 1: a window needs "days"'),
        (
            {"windows": [{"days": ["mon"], "start": "1:00", "end": "2:00", "tz": "x"}]},
            "window 1: unknown key 'tz' in a window",
        ),
        ({"windows": [7]}, "window 1: a window is a text such as 'daily 22:00-06:00'"),
        ({"timezone": 8}, "timezone must be a string"),
        ({"comment": None}, "comment must be a string"),
    ],
)
def test_what_is_refused(body: dict[str, Any], problem: str) -> None:
    full = {"matchers": ["alertname=Down"], "comment": "c", "for": "1h", **body}
    problems = refused(**{key: value for key, value in full.items() if value != DROP})
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_a_maintenance_window_matches_by_component_once_components_are_known() -> None:
    window = Silence(
        id=1,
        matchers=[],
        components=["web-chat"],
        starts_at=NOW,
        ends_at=None,
        comment="c",
        created_by="t",
        created_at=NOW,
    )
    assert not silence_matches(window, {"alertname": "X"})  # components not known yet
    assert silence_matches(window, {"alertname": "X"}, ["web-chat", "app"])
    assert not silence_matches(window, {"alertname": "X"}, ["app"])
    narrowed = Silence(**{**window.__dict__, "matchers": ['alertname="Y"']})
    assert not silence_matches(narrowed, {"alertname": "X"}, ["web-chat"])
