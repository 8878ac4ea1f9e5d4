"""Reading ``config/rota.yaml`` into a ``Rota``, every problem reported as
``file:line:col: message`` and all of them at once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from surge.rota.model import (
    Contact,
    Level,
    Override,
    Person,
    Policy,
    Rota,
    Rotation,
    Shift,
    Target,
    Team,
)
from surge.scripts.model import LOCALES
from surge.triggers.windows import DAYS, parse_window, read_window, time_zone
from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YamlProblem, YNode, load

TOP = ("timezone", "shifts", "people", "teams", "rotations", "standby", "overrides", "escalation")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TARGETS = ("on_shift", "standby", "person", "lead")


def load_rota_file(path: Path) -> tuple[Rota | None, list[YamlProblem]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [YamlProblem(Pos(str(path), 1, 1), f"cannot read the rota: {error.strerror}")]
    return load_rota(data, str(path))


def load_rota(text: str | bytes, file: str) -> tuple[Rota | None, list[YamlProblem]]:
    """The rota, or None and every problem found."""
    tree, problems = load(text, file)
    if tree is None:
        return None, problems
    check = Checker()
    rota = _Reader(check, file).read(tree)
    problems = sorted(check.problems, key=lambda problem: (problem.pos.line, problem.pos.col))
    return (None, problems) if problems else (rota, [])


class _Reader:
    def __init__(self, check: Checker, file: str) -> None:
        self.check = check
        self.rota = Rota(source=file)
        self.names: dict[str, Pos] = {}  # where each person's id was first used

    def read(self, tree: YNode) -> Rota:
        fields = self.check.keys(tree, "the rota", TOP, ("timezone", "people"))
        if fields is None:
            return self.rota
        if "timezone" in fields:
            self.rota.timezone = self._zone(fields["timezone"], "timezone") or "UTC"
        self.rota.shifts = self._each(fields.get("shifts"), "shifts", self._shift)
        self.rota.people = self._each(fields.get("people"), "people", self._person)
        self.rota.teams = self._each(fields.get("teams"), "teams", self._team)
        if "standby" in fields:
            self.rota.standby = self._people(fields["standby"], "standby")
        self.rota.rotations = tuple(
            self._list(fields.get("rotations"), "rotations", self._rotation)
        )
        self.rota.overrides = tuple(
            self._list(fields.get("overrides"), "overrides", self._override)
        )
        self.rota.policies = self._each(fields.get("escalation"), "escalation", self._policy)
        return self.rota

    # -- helpers --

    def _each(self, node: YNode | None, what: str, read: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if node is None:
            return found
        for key, child in (self.check.mapping(node, what) or {}).items():
            if not SLUG.match(key):
                self.check.error(
                    node.key_pos[key], f"{what}: {key!r} is not an id (a-z, 0-9, - and _)"
                )
                continue
            item = read(key, child, f"{what}.{key}", node.key_pos[key])
            if item is not None:
                found[key] = item
        return found

    def _list(self, node: YNode | None, what: str, read: Any) -> Iterable[Any]:
        if node is None:
            return []
        items = (
            read(child, f"{what}[{n}]")
            for n, child in enumerate(self.check.sequence(node, what) or [])
        )
        return [item for item in items if item is not None]

    def _zone(self, node: YNode, what: str) -> str | None:
        name = self.check.string(node, what)
        if name is None:
            return None
        try:
            time_zone(name)
        except ValueError as error:
            self.check.error(node.pos, f"{what}: {error}")
            return None
        return name

    def _date(self, node: YNode, what: str) -> date | None:
        try:
            return date.fromisoformat(str(node.value))
        except ValueError:
            self.check.error(
                node.pos, f"{what} must be a date such as 2026-03-02, got {node.value!r}"
            )
            return None

    def _days(self, node: YNode, what: str) -> tuple[str, ...]:
        names = self.check.strings(node, what)
        try:
            return tuple(parse_window(",".join(names))["days"]) if names else ()
        except ValueError as error:
            self.check.error(node.pos, f"{what}: {error}")
            return ()

    def _person_ref(self, node: YNode, what: str) -> str | None:
        name = self.check.string(node, what)
        if name is not None and name not in self.rota.people:
            known = ", ".join(sorted(self.rota.people)) or "none"
            self.check.error(node.pos, f"{what}: no person {name!r} in people (known: {known})")
            return None
        return name

    def _people(self, node: YNode, what: str) -> tuple[str, ...]:
        found = (
            self._person_ref(item, f"each entry of {what}")
            for item in self.check.sequence(node, what) or []
        )
        return tuple(name for name in found if name)

    def _ref(self, node: YNode, what: str, known: dict[str, Any], noun: str) -> str | None:
        name = self.check.string(node, what)
        if name is not None and name not in known:
            listed = ", ".join(sorted(known)) or "none"
            self.check.error(node.pos, f"{what}: no {noun} {name!r} (known: {listed})")
            return None
        return name

    # -- sections --

    def _shift(self, key: str, node: YNode, what: str, pos: Pos) -> Shift | None:
        text = node.value if isinstance(node.value, str) else None
        start, _, end = (text or "").partition("-")
        try:
            window = read_window({"days": list(DAYS), "start": start.strip(), "end": end.strip()})
        except ValueError as error:
            self.check.error(node.pos, f'{what} must be HH:MM-HH:MM, e.g. "08:00-16:00" ({error})')
            return None
        return Shift(key, window.start, window.end)

    def _person(self, key: str, node: YNode, what: str, pos: Pos) -> Person | None:
        allowed = ("name", "contact", "ids", "timezone", "locale", "roles", "rest_days")
        fields = self.check.keys(node, what, allowed, ("name",))
        if fields is None or "name" not in fields:
            return None
        name = self.check.string(fields["name"], f"{what}.name") or key
        contacts = (
            self._contacts(fields["contact"], f"{what}.contact") if "contact" in fields else ()
        )
        ids = self.check.string_map(fields["ids"], f"{what}.ids") if "ids" in fields else {}
        zone = self._zone(fields["timezone"], f"{what}.timezone") if "timezone" in fields else ""
        locale = "zh-CN"
        if "locale" in fields:
            locale = self.check.choice(fields["locale"], f"{what}.locale", LOCALES) or locale
        roles = (
            tuple(self.check.strings(fields["roles"], f"{what}.roles")) if "roles" in fields else ()
        )
        rest = self._days(fields["rest_days"], f"{what}.rest_days") if "rest_days" in fields else ()
        return Person(key, name, contacts, ids, zone or "", locale, roles, rest, pos)

    def _contacts(self, node: YNode, what: str) -> tuple[Contact, ...]:
        found = []
        for item in self.check.sequence(node, what) or []:
            fields = self.check.mapping(item, f"each entry of {what}")
            if fields is None:
                continue
            if len(fields) != 1:
                self.check.error(
                    item.pos,
                    f"each entry of {what} is one PAGER: ADDRESS, e.g. email: a@example.com",
                )
                continue
            [(pager, value)] = fields.items()
            address = self.check.string(value, f"{what}.{pager}")
            if address is not None:
                found.append(Contact(pager, address))
        return tuple(found)

    def _team(self, key: str, node: YNode, what: str, pos: Pos) -> Team | None:
        fields = self.check.keys(node, what, ("name", "leads", "standby"))
        if fields is None:
            return None
        name = self.check.string(fields["name"], f"{what}.name") if "name" in fields else None
        leads = self._people(fields["leads"], f"{what}.leads") if "leads" in fields else ()
        standby = self._people(fields["standby"], f"{what}.standby") if "standby" in fields else ()
        return Team(key, name or key, leads, standby)

    def _rotation(self, node: YNode, what: str) -> Rotation | None:
        allowed = ("id", "team", "shift", "people", "start", "pattern", "days")
        fields = self.check.keys(node, what, allowed, ("id", "team", "shift", "people", "start"))
        if fields is None or len(set(fields) & set(allowed[:5])) < 5:
            return None
        ident = self.check.string(fields["id"], f"{what}.id")
        team = self._ref(fields["team"], f"{what}.team", self.rota.teams, "team")
        shift = self._ref(fields["shift"], f"{what}.shift", self.rota.shifts, "shift")
        people = self._people(fields["people"], f"{what}.people")
        start = self._date(fields["start"], f"{what}.start")
        pattern, on, off = self._pattern(fields.get("pattern"), f"{what}.pattern")
        days = self._days(fields["days"], f"{what}.days") if "days" in fields else DAYS
        if not people:
            self.check.error(fields["people"].pos, f"{what}.people must name at least one person")
        if not (ident and team and shift and people and start and pattern):
            return None
        return Rotation(ident, team, shift, people, start, pattern, on, off, days, node.pos)

    def _pattern(self, node: YNode | None, what: str) -> tuple[Any, int, int]:
        if node is None or node.value in ("weekly", "daily"):
            return (node.value if node else "weekly"), 1, 0
        fields = (
            self.check.keys(node, what, ("on_days", "off_days"), ("on_days", "off_days"))
            if node.is_map
            else None
        )
        if fields is None or len(fields) < 2:
            if not node.is_map:
                self.check.error(
                    node.pos, f"{what} must be weekly, daily or {{on_days: N, off_days: M}}"
                )
            return None, 0, 0
        on = self.check.integer(fields["on_days"], f"{what}.on_days", minimum=1)
        off = self.check.integer(fields["off_days"], f"{what}.off_days", minimum=0)
        return ("cycle", on, off) if on is not None and off is not None else (None, 0, 0)

    def _override(self, node: YNode, what: str) -> Override | None:
        allowed = (
            "leave",
            "swap",
            "with",
            "cover",
            "rotation",
            "from",
            "to",
            "date",
            "back",
            "reason",
        )
        fields = self.check.keys(node, what, allowed)
        if fields is None:
            return None
        reason = self.check.string(fields["reason"], f"{what}.reason") if "reason" in fields else ""
        if ("leave" in fields) == ("swap" in fields):
            self.check.error(
                node.pos,
                f"{what} is either leave: PERSON (from, to, cover) "
                "or swap: PERSON (with, rotation, date, back)",
            )
            return None
        if "leave" in fields:
            return self._leave(fields, what, reason or "", node.pos)
        return self._swap(fields, what, reason or "", node.pos)

    def _leave(self, fields: dict[str, YNode], what: str, reason: str, pos: Pos) -> Override | None:
        person = self._person_ref(fields["leave"], f"{what}.leave")
        for key in ("from", "to"):
            if key not in fields:
                self.check.error(pos, f"{what}: leave needs {key}: DATE")
                return None
        first, last = (
            self._date(fields["from"], f"{what}.from"),
            self._date(fields["to"], f"{what}.to"),
        )
        cover = self._person_ref(fields["cover"], f"{what}.cover") if "cover" in fields else ""
        if first and last and last < first:
            self.check.error(fields["to"].pos, f"{what}: to ({last}) is before from ({first})")
            return None
        if not (person and first and last) or cover is None:
            return None
        return Override("leave", person, first, last, cover, "", None, reason, pos)

    def _swap(self, fields: dict[str, YNode], what: str, reason: str, pos: Pos) -> Override | None:
        for key in ("with", "rotation", "date"):
            if key not in fields:
                self.check.error(pos, f"{what}: swap needs {key}")
                return None
        person = self._person_ref(fields["swap"], f"{what}.swap")
        cover = self._person_ref(fields["with"], f"{what}.with")
        known = {rotation.id: rotation for rotation in self.rota.rotations}
        rotation = self._ref(fields["rotation"], f"{what}.rotation", known, "rotation")
        day = self._date(fields["date"], f"{what}.date")
        back = self._date(fields["back"], f"{what}.back") if "back" in fields else None
        if not (person and cover and rotation and day):
            return None
        return Override("swap", person, day, day, cover, rotation, back, reason, pos)

    def _policy(self, key: str, node: YNode, what: str, pos: Pos) -> Policy | None:
        fields = self.check.keys(node, what, ("levels", "repeat"), ("levels",))
        if fields is None or "levels" not in fields:
            return None
        repeat = (
            self.check.integer(fields["repeat"], f"{what}.repeat", minimum=0)
            if "repeat" in fields
            else 0
        )
        levels = self._list(fields["levels"], f"{what}.levels", self._level)
        if fields["levels"].value == []:
            self.check.error(fields["levels"].pos, f"{what}.levels must list at least one level")
        if not levels:
            return None
        return Policy(key, tuple(levels), repeat or 0, pos)

    def _level(self, node: YNode, what: str) -> Level | None:
        fields = self.check.keys(node, what, ("page", "wait"), ("page", "wait"))
        if fields is None or len(fields) < 2:
            return None
        wait = self.check.duration(fields["wait"], f"{what}.wait")
        targets = [
            self._target(item, f"{what}.page")
            for item in self.check.sequence(fields["page"], f"{what}.page") or []
        ]
        if wait is None or not targets or None in targets:
            return None
        return Level(tuple(target for target in targets if target), wait)

    def _target(self, node: YNode, what: str) -> Target | None:
        fields = self.check.keys(node, what, TARGETS)
        if fields is None:
            return None
        if len(fields) != 1:
            self.check.error(
                node.pos,
                f"each target of {what} is one of: "
                + ", ".join(f"{{{name}: …}}" for name in TARGETS),
            )
            return None
        [(kind, value)] = fields.items()
        if kind == "standby":
            return self._standby_target(value, what)
        if kind == "person":
            person = self._person_ref(value, f"{what}.person")
            return Target("person", person) if person else None
        team = self._ref(value, f"{what}.{kind}", self.rota.teams, "team")
        return Target(kind, team) if team else None  # type: ignore[arg-type]

    def _standby_target(self, node: YNode, what: str) -> Target | None:
        if node.value == "all":
            return Target("standby")
        count = self.check.integer(node, f"{what}.standby (how many, or all)", minimum=1)
        return Target("standby", count=count) if count else None
