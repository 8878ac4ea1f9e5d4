"""What a person does from Slack: the slash command and the summary's buttons.

Each answer is a sentence in the person's locale, shown only to them (ephemeral). Who may
do what follows surge's roles: ``/surge status`` needs any role, the buttons need
``responder``, ``/surge trigger`` the playbook's manual roles (``admin`` always may).
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

from surge.engine.engine import TransitionError, UnknownIncident
from surge.playbook.params import ParamError
from surge.runtime import Runtime
from surge.store.base import GroupBusy
from surge.store.records import OPEN_STATUSES, IncidentStatus
from surge_slack.blocks import ACK, ESCALATE, RESOLVE
from surge_slack.directory import Person
from surge_slack.texts import text

STATUS_LIMIT = 10  # incidents `/surge status` lists
_BUTTONS = {
    ACK: ("what_ack", "done_ack"),
    ESCALATE: ("what_escalate", "done_escalate"),
    RESOLVE: ("what_resolve", "done_resolve"),
}


async def slash(runtime: Runtime, person: Person | None, user: str, line: str, locale: str) -> str:
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
    """The answer to a summary button, or None for a button surge does not know."""
    if action not in _BUTTONS:
        return None  # e.g. surge.approve_notice before the notices service exists
    if person is None:
        return text("unknown_user", locale, user=user)
    what, done = _BUTTONS[action]
    if not person.principal.has(("responder",)):
        return text(
            "no_role",
            locale,
            role=person.principal.role,
            what=text(what, locale),
            needs="responder",
        )
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return text("no_incident", locale, id=value)
    incident_id = int(value)
    try:
        if action == ESCALATE:
            if not await runtime.engine.escalate(incident_id, person.actor):
                return text("escalate_idle", locale, id=incident_id)
        else:
            status = IncidentStatus.ACKNOWLEDGED if action == ACK else IncidentStatus.RESOLVED
            await runtime.engine.change_status(incident_id, status, person.actor, "from Slack")
    except UnknownIncident:
        return text("no_incident", locale, id=incident_id)
    except TransitionError as error:
        return text("cannot", locale, id=incident_id, reason=str(error))
    return text(done, locale, id=incident_id)
