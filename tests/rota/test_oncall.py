"""Who is on shift: rotations, rest days, overrides, midnight and daylight-saving days."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from surge.rota.model import Rota
from surge.rota.oncall import report, shift_span, standby_available, who
from surge.rota.parse import load_rota, load_rota_file
from surge.triggers.windows import read_time

ROOT = Path(__file__).resolve().parents[2]


def rota(zone: str, extra: str = "") -> Rota:
    text = f"""
    timezone: {zone}
    shifts:
      early: "08:00-16:00"
      mid: "16:00-24:00"
      night: "00:00-08:00"
      late: "22:00-06:00"
    people:
      a: {{name: A}}
      b: {{name: B, rest_days: [sun]}}
      c: {{name: C}}
      d: {{name: D}}
    teams:
      cs: {{name: CS}}
    rotations:
      - {{id: e, team: cs, shift: early, pattern: weekly, start: 2030-01-07, people: [a, b]}}
      - {{id: m, team: cs, shift: mid, pattern: daily, start: 2030-01-07, people: [c, d]}}
      - {{id: n, team: cs, shift: night, pattern: {{on_days: 2, off_days: 2}},
          start: 2030-01-07, people: [c, d]}}
      - {{id: l, team: cs, shift: late, pattern: weekly, start: 2030-01-07, people: [d],
          days: [fri, sat]}}
    standby: [a, b, c, d]
    {extra}
    """
    loaded, problems = load_rota(textwrap.dedent(text), "rota.yaml")
    assert not problems, problems
    assert loaded is not None
    return loaded


def on(rota: Rota, when: str, team: str | None = None) -> list[tuple[str, str]]:
    return [(entry.shift, entry.person) for entry in who(rota, read_time(when, rota.zone), team)]


def span(rota: Rota, when: str, shift: str) -> timedelta:
    [entry] = [e for e in who(rota, read_time(when, rota.zone)) if e.shift == shift]
    return entry.ends_at - entry.starts_at


def shifts(rota: Rota, instant: datetime) -> set[str]:
    return {entry.shift for entry in who(rota, instant)} - {"late"}  # late: weekends only


def test_weekly_daily_and_n_on_m_off_rotations() -> None:
    shanghai = rota("Asia/Shanghai")
    assert on(shanghai, "2030-01-07T09:00") == [("early", "a")]  # week 0 of the weekly
    assert on(shanghai, "2030-01-14T09:00") == [("early", "b")]  # week 1
    assert on(shanghai, "2030-01-07T17:00") == [("mid", "c")]
    assert on(shanghai, "2030-01-08T17:00") == [("mid", "d")]  # daily: the next person
    # two nights on, two off: c on days 0-1, d on days 2-3
    nights = [on(shanghai, f"2030-01-{day:02d}T03:00") for day in range(7, 12)]
    assert nights == [[("night", p)] for p in ("c", "c", "d", "d", "c")]


def test_a_rest_day_leaves_the_shift_empty() -> None:
    shanghai = rota("Asia/Shanghai")
    assert on(shanghai, "2030-01-19T09:00") == [("early", "b")]  # Saturday
    assert on(shanghai, "2030-01-20T09:00") == []  # Sunday: b's rest day


def test_a_shift_that_crosses_midnight_belongs_to_the_day_it_starts() -> None:
    shanghai = rota("Asia/Shanghai")
    # the late shift runs on Fridays and Saturdays, 22:00 to 06:00 the next morning
    assert ("late", "d") in on(shanghai, "2030-01-11T23:30")  # Friday night
    assert ("late", "d") in on(shanghai, "2030-01-12T05:59")  # Saturday morning: Friday's
    assert ("late", "d") in on(shanghai, "2030-01-13T02:00")  # Sunday morning: Saturday's
    assert ("late", "d") not in on(shanghai, "2030-01-14T02:00")  # Monday: Sunday has none
    assert ("late", "d") not in on(shanghai, "2030-01-12T06:00")  # the end is exclusive
    # mid ends at 24:00: midnight belongs to the night shift
    assert on(shanghai, "2030-01-07T23:59") == [("mid", "c")]
    assert on(shanghai, "2030-01-08T00:00") == [("night", "c")]
    assert span(shanghai, "2030-01-11T23:00", "late") == timedelta(hours=8)


def test_spring_forward_in_london_shortens_the_night() -> None:
    london = rota("Europe/London")  # 2030-03-31 01:00 GMT becomes 02:00 BST
    assert span(london, "2030-03-31T03:00", "night") == timedelta(hours=7)
    assert span(london, "2030-03-30T03:00", "night") == timedelta(hours=8)
    # 00:30 GMT is the night shift; 01:30 UTC is 02:30 BST, still night
    instant = datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    assert shifts(london, instant) == {"night"}
    # 08:00 BST is 07:00 UTC: the early shift starts an hour earlier in UTC than the day before
    early = london.shifts["early"]
    assert shift_span(london, early, date(2030, 3, 31))[0] == datetime(2030, 3, 31, 7, tzinfo=UTC)
    assert shift_span(london, early, date(2030, 3, 30))[0] == datetime(2030, 3, 30, 8, tzinfo=UTC)
    assert shifts(london, datetime(2030, 3, 30, 7, 30, tzinfo=UTC)) == {"night"}


def test_fall_back_in_new_york_lengthens_the_night() -> None:
    new_york = rota("America/New_York")  # 2030-11-03 02:00 EDT becomes 01:00 EST
    assert span(new_york, "2030-11-03T05:00", "night") == timedelta(hours=9)
    # 01:30 happens twice; both are in the night shift
    first = datetime(2030, 11, 3, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2030, 11, 3, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert shifts(new_york, first) == {"night"}
    assert shifts(new_york, second) == {"night"}
    assert shifts(new_york, datetime(2030, 11, 3, 13, 0, tzinfo=UTC)) == {"early"}  # 08:00 EST


def test_shanghai_has_no_daylight_saving() -> None:
    shanghai = rota("Asia/Shanghai")
    for day in ("2030-03-31", "2030-10-27", "2030-11-03"):
        assert span(shanghai, f"{day}T03:00", "night") == timedelta(hours=8)


def test_leave_with_cover_and_a_swap_with_its_way_back() -> None:
    shanghai = rota(
        "Asia/Shanghai",
        """
    overrides:
      - {leave: a, from: 2030-01-08, to: 2030-01-09, cover: c, reason: sick}
      - {swap: b, with: a, rotation: e, date: 2030-01-15, back: 2030-01-22}
    """,
    )
    assert on(shanghai, "2030-01-07T09:00") == [("early", "a")]
    [entry] = who(shanghai, read_time("2030-01-08T09:00", shanghai.zone))
    assert (entry.person, entry.note) == ("c", "covering a (leave)")
    assert on(shanghai, "2030-01-10T09:00") == [("early", "a")]  # back from leave
    assert on(shanghai, "2030-01-15T09:00") == [("early", "a")]  # a works b's day
    assert on(shanghai, "2030-01-22T09:00") == [("early", "b")]  # and b works a's, back
    # a is on leave and not free to be called in; c works a's shift
    assert standby_available(shanghai, read_time("2030-01-08T09:00", shanghai.zone)) == ["b", "d"]


def test_the_report_names_local_times_and_refuses_an_unknown_team() -> None:
    shanghai = rota("Asia/Shanghai")
    data = report(shanghai, read_time("2030-01-07T09:00", shanghai.zone), "cs")
    assert data["local"] == "2030-01-07T09:00:00+08:00"
    assert data["oncall"] == [
        {
            "person": "a",
            "name": "A",
            "team": "cs",
            "rotation": "e",
            "shift": "early",
            "starts_at": "2030-01-07T08:00:00+08:00",
            "ends_at": "2030-01-07T16:00:00+08:00",
            "note": "",
        }
    ]
    assert data["standby"] == ["b", "c", "d"]
    with pytest.raises(ValueError, match="no team 'ops' in the rota"):
        report(shanghai, datetime.now(UTC), "ops")


def test_the_shipped_rota_loads() -> None:
    shipped, problems = load_rota_file(ROOT / "config" / "rota.yaml")
    assert problems == [] and shipped is not None
    assert set(shipped.policies) >= {"standby-shift", "leads"}
    assert {shift: (s.start, s.end) for shift, s in shipped.shifts.items()} == {
        "early": (480, 960),
        "mid": (960, 1440),
        "night": (0, 480),
    }
    assert shipped.leads("customer-service") == ("zhang-min",)
    assert shipped.standby
