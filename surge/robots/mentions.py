"""Whom a robot's message mentions: on-call people resolved from the rota when it is sent.

A channel's ``mention:`` is a list of targets like an escalation level's: ``{on_shift:
TEAM}`` (the team's people on shift now), ``{lead: TEAM}`` and ``{person: ID}``. Each
platform then names a person its own way (``Robot.mention``): a user id from the
person's ``ids`` or a mobile number (``ids.mobile``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from surge.rota.model import Person, Rota
from surge.rota.oncall import who
from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YNode

KINDS = ("on_shift", "lead", "person")


@dataclass(frozen=True)
class MentionTarget:
    kind: Literal["on_shift", "lead", "person"]
    value: str
    pos: Pos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Mention:
    """One person as a platform mentions them: by user id, or by mobile number."""

    person: str  # the rota's id (or the address, for someone the rota does not know)
    id: str
    by: Literal["user", "mobile"] = "user"


def parse_mentions(node: YNode, check: Checker, what: str) -> tuple[MentionTarget, ...]:
    found: list[MentionTarget] = []
    for item in check.sequence(node, what) or []:
        fields = check.mapping(item, f"each of {what}")
        if fields is None:
            continue
        if len(fields) != 1 or next(iter(fields)) not in KINDS:
            check.error(item.pos, f"each of {what} is one of {{on_shift: TEAM}}, {{lead: TEAM}}, "
                        "{person: ID}")  # fmt: skip
            continue
        [(kind, value)] = fields.items()
        name = check.string(value, f"{what}.{kind}")
        if name:
            found.append(MentionTarget(kind, name, value.pos))  # type: ignore[arg-type]
    return tuple(found)


def check_targets(
    rota: Rota, targets: tuple[MentionTarget, ...], check: Checker, what: str
) -> None:
    """Report targets that name a team or a person the rota does not have."""
    for target in targets:
        known = rota.people if target.kind == "person" else rota.teams
        if target.value not in known and target.pos is not None:
            noun = "person" if target.kind == "person" else "team"
            names = ", ".join(sorted(known)) or "none"
            check.error(
                target.pos,
                f"{what}: no {noun} {target.value!r} in {rota.source} (known: {names})",
            )


def resolve(rota: Rota | None, targets: tuple[MentionTarget, ...], now: datetime) -> list[Person]:
    """The people ``targets`` name at ``now``, each once, in the written order; those
    the rota does not know are left out."""
    if rota is None:
        return []
    ids: list[str] = []
    for target in targets:
        if target.kind == "on_shift":
            ids.extend(entry.person for entry in who(rota, now, target.value))
        elif target.kind == "lead":
            ids.extend(rota.leads(target.value))
        else:
            ids.append(target.value)
    return [rota.people[person] for person in dict.fromkeys(ids) if person in rota.people]


def looks_like_mobile(value: str) -> bool:
    digits = value.replace("+", "", 1).replace("-", "").replace(" ", "")
    return digits.isdigit() and 6 <= len(digits) <= 15
