"""The rota as surge uses it: people and how to reach them, teams, shifts, rotations,
overrides, the standby pool and escalation policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

from surge.yamlpos import Pos

Pattern = Literal["weekly", "daily", "cycle"]
TargetKind = Literal["on_shift", "standby", "person", "lead"]


@dataclass(frozen=True)
class Contact:
    """One way to reach a person: the pager's name (from ``pagers:`` in the config) and
    the address that pager takes (an e-mail address, a phone number, a chat user id)."""

    pager: str
    address: str


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    contacts: tuple[Contact, ...] = ()  # in the order they are tried
    ids: dict[str, str] = field(default_factory=dict)  # chat plugins' user ids, mobile
    timezone: str = ""  # empty: the rota's
    locale: str = "zh-CN"
    roles: tuple[str, ...] = ()
    rest_days: tuple[str, ...] = ()  # weekdays (mon…sun) never worked
    pos: Pos | None = None


@dataclass(frozen=True)
class Shift:
    """A wall-clock span in the rota's time zone; an end at or before the start ends the
    next day (``24:00`` is the midnight that ends the day)."""

    id: str
    start: int  # minutes after midnight
    end: int  # minutes after midnight, up to 1440

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start or self.end == 1440


@dataclass(frozen=True)
class Rotation:
    """Who works one shift of one team, day by day.

    ``weekly``: the next person each week (weeks start on ``start``); ``daily``: the next
    person each day; ``cycle``: each person works ``on`` days then has ``off`` days, the
    second person starting ``on`` days after the first, and so on.
    """

    id: str
    team: str
    shift: str
    people: tuple[str, ...]
    start: date
    pattern: Pattern = "weekly"
    on: int = 1
    off: int = 0
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    pos: Pos | None = None


@dataclass(frozen=True)
class Override:
    """``leave``: a person works none of their shifts from ``first`` to ``last`` (dates,
    inclusive), ``cover`` (if given) works them instead. ``swap``: on ``first`` the
    rotation's shift of ``person`` is worked by ``cover``, and on ``back`` (if given)
    ``cover``'s by ``person``."""

    kind: Literal["leave", "swap"]
    person: str
    first: date
    last: date
    cover: str = ""
    rotation: str = ""
    back: date | None = None
    reason: str = ""
    pos: Pos | None = None


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    leads: tuple[str, ...] = ()
    standby: tuple[str, ...] = ()  # this team's pool; empty: the rota's


@dataclass(frozen=True)
class Target:
    """Who one escalation level pages: the team's people on shift, ``count`` people of the
    standby pool (0: all), a person, or the team's leads."""

    kind: TargetKind
    value: str = ""  # the team or the person
    count: int = 0


@dataclass(frozen=True)
class Level:
    targets: tuple[Target, ...]
    wait: float  # seconds to wait for an acknowledgement before the next level


@dataclass(frozen=True)
class Policy:
    id: str
    levels: tuple[Level, ...]
    repeat: int = 0  # after the last level, start again this many times
    pos: Pos | None = None


@dataclass
class Rota:
    timezone: str = "UTC"
    people: dict[str, Person] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    shifts: dict[str, Shift] = field(default_factory=dict)
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    standby: tuple[str, ...] = ()
    policies: dict[str, Policy] = field(default_factory=dict)
    source: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def pool(self, team: str | None = None) -> tuple[str, ...]:
        """The standby pool of ``team`` (its own, else the rota's), in the written order."""
        own = self.teams[team].standby if team and team in self.teams else ()
        return own or self.standby

    def leads(self, team: str) -> tuple[str, ...]:
        found = self.teams.get(team)
        if found and found.leads:
            return found.leads
        return tuple(person.id for person in self.people.values() if "lead" in person.roles)
