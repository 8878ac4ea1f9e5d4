"""What a person does from Slack: the slash command and the summary's buttons.

Each answer is a sentence in the person's locale, shown only to them (ephemeral). Who may
do what follows surge's roles: ``/surge status`` needs any role, the buttons need
``responder``, ``/surge trigger`` the playbook's manual roles (``admin`` always may).
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

from surge.engine.engine import TransitionError, UnknownIncident
from surge.paging.records import PageStatus
from surge.playbook.params import ParamError
from surge.roles import RESPOND
from surge.rota.model import Rota
from surge.rota.oncall import standby_available, who
from surge.runtime import Runtime
from surge.store.base import GroupBusy
from surge.store.records import OPEN_STATUSES, IncidentStatus
from surge_slack.blocks import ACK, ESCALATE, PAGE_ACK, PAGE_ESCALATE, RESOLVE, escape
from surge_slack.directory import Directory, Person
from surge_slack.texts import text

STATUS_LIMIT = 10  # incidents `/surge status` lists
_BUTTONS = {
    ACK: ("what_ack", "done_ack"),
    ESCALATE: ("what_escalate", "done_escalate"),
    RESOLVE: ("what_resolve", "done_resolve"),
    PAGE_ACK: ("what_ack", "done_ack"),
    PAGE_ESCALATE: ("what_escalate", "done_escalate"),
}
_PAGE_BUTTONS = (PAGE_ACK, PAGE_ESCALATE)


async def slash(
    runtime: Runtime,
    directory: Directory,
    person: Person | None,
    user: str,
    line: str,
    locale: str,
) -> str:
    """The answer to ``/surge LINE``."""
    try:
        words = shlex.split(line)
    except ValueError:
        return text("usage_trigger", locale)
    if not words or words[0] == "help":
        return text("help", locale)
    if person is None:
        return text("unknown_user", locale, user=user)
    if words[0] == "status":
        return await _status(runtime, locale)
    if words[0] == "trigger":
        return await _trigger(runtime, person, words[1:], locale)
    if words[0] == "who":
        return _who(runtime.engine.services.rota, directory, words[1:], locale)
    return text("unknown_command", locale, word=words[0])


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


async def _trigger(runtime: Runtime, person: Person, words: list[str], locale: str) -> str:
    if not words:
        return text("usage_trigger", locale)
    playbook = runtime.playbooks.get(words[0])
    if playbook is None:
        known = ", ".join(item.id for item in runtime.playbooks.all())
        return text("no_playbook", locale, id=words[0], known=known)
    allowed = playbook.manual_roles()
    if not person.principal.has(allowed):
        needs = ", ".join(allowed) or "admin"
        what = text("what_trigger", locale, id=playbook.id)
        return text("no_role", locale, role=person.principal.role, what=what, needs=needs)
    params: dict[str, str] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            return text("usage_trigger", locale)
        params[key] = value
    try:
        incident = await runtime.engine.trigger(
            playbook.id, params, actor=person.actor, source="slack"
        )
    except ParamError as error:
        return text("bad_params", locale, problems="; ".join(error.problems))
    except GroupBusy as busy:
        return text("busy", locale, id=busy.incident.id)
    return text("opened", locale, id=incident.id, title=incident.title)


async def button(
    runtime: Runtime, person: Person | None, user: str, action: str, value: str, locale: str
) -> str | None:
    """The answer to a summary's or a page's button, or None for one surge does not know."""
    if action not in _BUTTONS:
        return None
    if person is None:
        return text("unknown_user", locale, user=user)
    what = _BUTTONS[action][0]
    page = action in _PAGE_BUTTONS
    if not page and not person.principal.may(RESPOND):
        return _refusal(person, what, locale)
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return text("no_incident", locale, id=value)
    incident_id = int(value)
    try:
        if page:
            return await _page_button(runtime, person, action, incident_id, locale)
        return await _act(runtime, person, action, incident_id, locale)
    except UnknownIncident:
        return text("no_incident", locale, id=incident_id)
    except TransitionError as error:
        return text("cannot", locale, id=incident_id, reason=str(error))


def _refusal(person: Person, what: str, locale: str, needs: str = "responder") -> str:
    role = person.principal.role
    return text("no_role", locale, role=role, what=text(what, locale), needs=needs)


async def _act(runtime: Runtime, person: Person, action: str, incident_id: int, locale: str) -> str:
    if action in (ESCALATE, PAGE_ESCALATE):
        if not await runtime.engine.escalate(incident_id, person.actor):
            return text("escalate_idle", locale, id=incident_id)
    else:
        status = IncidentStatus.RESOLVED if action == RESOLVE else IncidentStatus.ACKNOWLEDGED
        await runtime.engine.change_status(incident_id, status, person.actor, "from Slack")
    return text(_BUTTONS[action][1], locale, id=incident_id)


async def _page_button(
    runtime: Runtime, person: Person, action: str, incident_id: int, locale: str
) -> str:
    """A page's buttons may be pressed by the person it paged (as its signed link may be
    opened), or by anyone with the responder role. The paged person's Acknowledge answers
    their page, so the timeline says who acknowledged and how long after the page."""
    paging = runtime.engine.services.pagers
    paged = bool(person.rota_id) and paging is not None
    if paged and paging is not None:
        paged = any(
            page.person == person.rota_id and page.status is PageStatus.SENT
            for page in await paging.store.pages(incident_id)
        )
    if not paged and not person.principal.may(RESPOND):
        return _refusal(person, _BUTTONS[action][0], locale, needs=text("needs_paged", locale))
    if action == PAGE_ACK and paged and paging is not None:
        answered = await paging.acknowledge(
            incident_id, by=person.actor, via="slack", person=person.rota_id
        )
        if not answered.ok:
            return text("cannot", locale, id=incident_id, reason=answered.message)
        return text("done_ack", locale, id=incident_id)
    return await _act(runtime, person, action, incident_id, locale)
