"""Who is on shift at a moment: rotations, rest days and overrides, in the rota's zone.

Shift times are wall-clock times in the rota's time zone, turned into instants with
zoneinfo on the day they start, so a night shift on the day the clocks go forward is an
hour shorter and on the day they go back an hour longer. A shift that ends at or before
its start (or at 24:00) ends the next day; it belongs to the day it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from surge.rota.model import Override, Rota, Rotation, Shift
from surge.triggers.windows import DAYS


@dataclass(frozen=True)
class OnShift:
    person: str
    team: str
    rotation: str
    shift: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    note: str = ""  # "covering chen-jie (leave)"


def shift_span(rota: Rota, shift: Shift, day: date) -> tuple[datetime, datetime]:
    """The UTC instants the ``shift`` that starts on ``day`` begins and ends."""
    start = _local(rota, day, shift.start)
    end_day = day + timedelta(days=1) if shift.crosses_midnight else day
    return start, _local(rota, end_day, shift.end % 1440 if shift.end == 1440 else shift.end)


def _local(rota: Rota, day: date, minutes: int) -> datetime:
    # fold=0: a time skipped by a spring-forward change is read with the offset before it
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=rota.zone)
    return wall.astimezone(UTC)


def who(rota: Rota, at: datetime, team: str | None = None) -> list[OnShift]:
    """Everyone on shift at ``at`` (aware), of one team or of all, by rotation order."""
    local_day = at.astimezone(rota.zone).date()
    found: list[OnShift] = []
    for rotation in rota.rotations:
        if team is not None and rotation.team != team:
            continue
        shift = rota.shifts[rotation.shift]
        for day in (local_day - timedelta(days=1), local_day):
            start, end = shift_span(rota, shift, day)
            if not start <= at < end:
                continue
            for person, note in working(rota, rotation, day):
                found.append(
                    OnShift(person, rotation.team, rotation.id, shift.id, start, end, note)
                )
    return found


def scheduled(rotation: Rotation, day: date) -> list[str]:
    """Who the rotation's pattern puts on ``day`` (before rest days and overrides)."""
    if DAYS[day.weekday()] not in rotation.days:
        return []
    people = rotation.people
    offset = (day - rotation.start).days
    if rotation.pattern == "weekly":
        return [people[(offset // 7) % len(people)]]
    if rotation.pattern == "daily":
        return [people[offset % len(people)]]
    cycle = rotation.on + rotation.off
    return [
        person
        for n, person in enumerate(people)
        if (offset - n * rotation.on) % cycle < rotation.on
    ]


def working(rota: Rota, rotation: Rotation, day: date) -> list[tuple[str, str]]:
    """``(person, note)`` for each person who works the rotation's shift on ``day``."""
    weekday = DAYS[day.weekday()]
    result: list[tuple[str, str]] = []
    for person in scheduled(rotation, day):
        if weekday in rota.people[person].rest_days:
            continue
        worker, note = _after_overrides(rota.overrides, rotation, day, person)
        if (
            worker
            and worker not in (name for name, _ in result)
            and not on_leave(rota, worker, day)
        ):
            result.append((worker, note))
    return result


def _after_overrides(
    overrides: tuple[Override, ...], rotation: Rotation, day: date, person: str
) -> tuple[str, str]:
    for item in overrides:
        if item.kind == "swap" and item.rotation == rotation.id:
            if item.first == day and item.person == person:
                return item.cover, f"swapped with {person}"
            if item.back == day and item.cover == person:
                return item.person, f"swapped back with {person}"
        if item.kind == "leave" and item.person == person and item.first <= day <= item.last:
            return item.cover, f"covering {person} (leave)" if item.cover else ""
    return person, ""


def on_leave(rota: Rota, person: str, day: date) -> bool:
    return any(
        item.kind == "leave" and item.person == person and item.first <= day <= item.last
        for item in rota.overrides
    )


def standby_available(rota: Rota, at: datetime, team: str | None = None) -> list[str]:
    """The standby pool at ``at``: in the written order, without those on shift or on leave."""
    busy = {entry.person for entry in who(rota, at)}
    day = at.astimezone(rota.zone).date()
    return [
        person
        for person in rota.pool(team)
        if person not in busy and not on_leave(rota, person, day)
    ]


def report(rota: Rota, at: datetime, team: str | None = None) -> dict[str, object]:
    """Who is on at ``at``, and who of the standby pool is free: the JSON of
    ``GET /api/v1/rota/oncall`` and ``surge rota who --json``."""
    if team is not None and team not in rota.teams:
        known = ", ".join(sorted(rota.teams)) or "none"
        raise ValueError(f"no team {team!r} in the rota (known: {known})")
    zone = rota.zone
    return {
        "at": at.astimezone(UTC).isoformat(),
        "local": at.astimezone(zone).isoformat(),
        "timezone": rota.timezone,
        "team": team,
        "oncall": [
            {
                "person": entry.person,
                "name": rota.people[entry.person].name,
                "team": entry.team,
                "rotation": entry.rotation,
                "shift": entry.shift,
                "starts_at": entry.starts_at.astimezone(zone).isoformat(),
                "ends_at": entry.ends_at.astimezone(zone).isoformat(),
                "note": entry.note,
            }
            for entry in who(rota, at, team)
        ],
        "standby": standby_available(rota, at, team),
        "leads": list(rota.leads(team)) if team else [],
    }
