"""What a person does from Slack with the ``/surge`` command (the buttons: buttons.py).

Each answer is a sentence in the person's locale, shown only to them (ephemeral), with
what it changed for the audit log. Who may do what follows surge's roles: ``/surge
status`` and ``/surge who`` need any role, ``/surge trigger`` one of the playbook's
manual roles (``admin`` always may).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

from surge.audit.changes import Change, incident_triggered
from surge.playbook.params import ParamError
from surge.rota.model import Rota
from surge.rota.oncall import standby_available, who
from surge.runtime import Runtime
from surge.store.base import GroupBusy
from surge.store.records import OPEN_STATUSES
from surge_slack.blocks import escape
from surge_slack.directory import Directory, Person
from surge_slack.texts import text

STATUS_LIMIT = 10  # incidents `/surge status` lists


@dataclass(frozen=True)
class Reply:
    """The answer to show the person, and what they changed (or were refused) for the
    audit log."""

    text: str
    change: Change | None = None
    denied: bool = False
    settled: bool = False  # the message's buttons are done with: show the answer instead


async def slash(
    runtime: Runtime,
    directory: Directory,
    person: Person | None,
    user: str,
    line: str,
    locale: str,
) -> Reply:
    """The answer to ``/surge LINE``."""
    try:
        words = shlex.split(line)
    except ValueError:
        return Reply(text("usage_trigger", locale))
    if not words or words[0] == "help":
        return Reply(text("help", locale))
    if person is None:
        return Reply(text("unknown_user", locale, user=user))
    if words[0] == "status":
        return Reply(await _status(runtime, locale))
    if words[0] == "trigger":
        return await _trigger(runtime, person, words[1:], locale)
    if words[0] == "who":
        return Reply(_who(runtime.engine.services.rota, directory, words[1:], locale))
    return Reply(text("unknown_command", locale, word=words[0]))


async def _status(runtime: Runtime, locale: str) -> str:
    incidents = await runtime.store.list_incidents(statuses=OPEN_STATUSES, limit=STATUS_LIMIT)
    if not incidents:
        return text("none_open", locale)
    now = datetime.now(UTC)
    lines = []
    for incident in incidents:
        minutes = int((now - incident.created_at).total_seconds() // 60)
        status = text(incident.status.value, locale)
        lines.append(f"#{incident.id} {incident.title} · {status} · {minutes}m")
    return "\n".join(lines)


def _who(rota: Rota | None, directory: Directory, words: list[str], locale: str) -> str:
    """``/surge who [TEAM]``: who is on shift now, the free standby pool and the leads."""
    if rota is None:
        return text("no_rota", locale)
    team = words[0] if words else None
    if team is not None and team not in rota.teams:
        return text("no_team", locale, id=team, known=", ".join(sorted(rota.teams)) or "-")
    now = datetime.now(UTC)
    zone = rota.zone

    def named(person_id: str) -> str:
        person = rota.people[person_id]
        slack_id = directory.slack_id(person)
        return escape(person.name) + (f" <@{slack_id}>" if slack_id else "")

    local = now.astimezone(zone)
    lines = [text("who_now", locale, zone=rota.timezone, time=f"{local:%Y-%m-%d %H:%M}")]
    entries = who(rota, now, team)
    for entry in entries:
        span = f"{entry.starts_at.astimezone(zone):%H:%M}-{entry.ends_at.astimezone(zone):%H:%M}"
        note = f" ({escape(entry.note)})" if entry.note else ""
        lines.append(
            f"{escape(entry.team)} · {escape(entry.shift)} {span}: {named(entry.person)}{note}"
        )
    if not entries:
        lines.append(text("who_nobody", locale))
    standby = standby_available(rota, now, team)
    if standby:
        lines.append(text("who_standby", locale) + ", ".join(named(p) for p in standby))
    leads = [p for p in (rota.leads(team) if team else ()) if p in rota.people]
    if leads:
        lines.append(text("who_leads", locale) + ", ".join(named(p) for p in leads))
    return "\n".join(lines)


async def _trigger(runtime: Runtime, person: Person, words: list[str], locale: str) -> Reply:
    if not words:
        return Reply(text("usage_trigger", locale))
    playbook = runtime.playbooks.get(words[0])
    if playbook is None:
        known = ", ".join(item.id for item in runtime.playbooks.all())
        return Reply(text("no_playbook", locale, id=words[0], known=known))
    allowed = playbook.manual_roles()
    if not person.principal.has(allowed):
        needs = ", ".join(allowed) or "admin"
        what = text("what_trigger", locale, id=playbook.id)
        refused = text("no_role", locale, role=person.principal.role, what=what, needs=needs)
        return Reply(refused, Change("incident.trigger", f"playbook:{playbook.id}"), denied=True)
    params: dict[str, str] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            return Reply(text("usage_trigger", locale))
        params[key] = value
    try:
        incident = await runtime.engine.trigger(
            playbook.id, params, actor=person.actor, source="slack"
        )
    except ParamError as error:
        return Reply(text("bad_params", locale, problems="; ".join(error.problems)))
    except GroupBusy as busy:
        return Reply(text("busy", locale, id=busy.incident.id))
    opened = text("opened", locale, id=incident.id, title=incident.title)
    return Reply(opened, incident_triggered(incident))
