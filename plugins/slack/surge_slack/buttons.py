"""What a person does from Slack with a button: the room summary's Acknowledge, Escalate
and Resolve (the ``responder`` role), a page's Acknowledge and Escalate (the person
paged, or a responder), and a draft notice's Approve (the publish permission). Each
answer is a sentence in the person's locale, shown only to them, with what it changed or
refused for the audit log."""

from __future__ import annotations

import dataclasses

from surge.audit.changes import Change, incident_status
from surge.engine.engine import TransitionError, UnknownIncident
from surge.notices.model import NoticeConflict
from surge.paging.records import PageStatus
from surge.roles import PUBLISH, RESPOND
from surge.runtime import Runtime
from surge.store.records import IncidentStatus
from surge_slack.blocks import ACK, APPROVE_NOTICE, ESCALATE, PAGE_ACK, PAGE_ESCALATE, RESOLVE
from surge_slack.directory import Person
from surge_slack.respond import Reply
from surge_slack.texts import text

# action_id: (what it does, for a refusal; the answer once done; the audit log's verb)
_BUTTONS = {
    ACK: ("what_ack", "done_ack", "ack"),
    ESCALATE: ("what_escalate", "done_escalate", "escalate"),
    RESOLVE: ("what_resolve", "done_resolve", "resolve"),
    PAGE_ACK: ("what_ack", "done_ack", "ack"),
    PAGE_ESCALATE: ("what_escalate", "done_escalate", "escalate"),
}
_PAGE_BUTTONS = (PAGE_ACK, PAGE_ESCALATE)


async def press(
    runtime: Runtime, person: Person | None, user: str, action: str, value: str, locale: str
) -> Reply | None:
    """The answer to a button, or None for one surge does not know."""
    if action not in _BUTTONS and action != APPROVE_NOTICE:
        return None
    if person is None:
        return Reply(text("unknown_user", locale, user=user))
    if action == APPROVE_NOTICE:
        return await _approve(runtime, person, value, locale)
    page = action in _PAGE_BUTTONS
    if not page and not person.principal.may(RESPOND):
        return _refusal(person, action, value, locale)
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return Reply(text("no_incident", locale, id=value))
    incident_id = int(value)
    try:
        if page:
            return await _page_button(runtime, person, action, incident_id, locale)
        return await _act(runtime, person, action, incident_id, locale)
    except UnknownIncident:
        return Reply(text("no_incident", locale, id=incident_id))
    except TransitionError as error:
        return Reply(text("cannot", locale, id=incident_id, reason=str(error)))


def _refusal(
    person: Person, action: str, value: str, locale: str, needs: str = "responder"
) -> Reply:
    what, _, verb = _BUTTONS[action]
    role = person.principal.role
    refused = text("no_role", locale, role=role, what=text(what, locale), needs=needs)
    return Reply(refused, Change(f"incident.{verb}", f"incident:{value[:20]}"), denied=True)


async def _act(
    runtime: Runtime, person: Person, action: str, incident_id: int, locale: str
) -> Reply:
    _, done, verb = _BUTTONS[action]
    if verb == "ack" and await _paged(runtime, person, incident_id, open_=True):
        return await _answer_page(runtime, person, incident_id, locale)  # from the summary too
    if verb == "escalate":
        woken = await runtime.engine.escalate(incident_id, person.actor)
        if not woken:
            return Reply(text("escalate_idle", locale, id=incident_id))
        change = Change("incident.escalate", f"incident:{incident_id}", {"woken": woken})
    else:
        status = IncidentStatus.RESOLVED if verb == "resolve" else IncidentStatus.ACKNOWLEDGED
        await runtime.engine.change_status(incident_id, status, person.actor, "from Slack")
        change = incident_status(incident_id, verb, "from Slack")
    return Reply(text(done, locale, id=incident_id), change)


async def _approve(runtime: Runtime, person: Person, value: str, locale: str) -> Reply:
    """A draft notice's Approve: publish that version, with the publish permission."""
    notice_id, _, number = value.partition(":")
    if not all(
        part.isascii() and part.isdigit() and len(part) < 19 for part in (notice_id, number)
    ):
        return Reply(text("no_notice", locale, id=value[:40]))
    target = f"notice:{notice_id}"
    if not person.principal.may(PUBLISH):
        what = text("what_publish", locale)
        needs = ", ".join(PUBLISH.holders)
        refused = text("no_role", locale, role=person.principal.role, what=what, needs=needs)
        return Reply(refused, Change("notice.publish", target), denied=True)
    notices = runtime.engine.services.notices
    if notices is None or await notices.get(int(notice_id)) is None:
        return Reply(text("no_notice", locale, id=notice_id))
    try:
        await notices.publish(int(notice_id), int(number), by=person.actor)
    except NoticeConflict as error:
        return Reply(text("cannot_publish", locale, id=notice_id, reason=str(error)))
    done = text("done_publish", locale, id=notice_id, number=number)
    return Reply(done, Change("notice.publish", target, {"version": int(number)}))


async def _page_button(
    runtime: Runtime, person: Person, action: str, incident_id: int, locale: str
) -> Reply:
    """A page's buttons may be pressed by the person it paged (as its signed link may be
    opened), or by anyone with the responder role. The paged person's Acknowledge answers
    their page, so the timeline says who acknowledged and how long after the page."""
    paged = await _paged(runtime, person, incident_id)
    if not paged and not person.principal.may(RESPOND):
        needs = text("needs_paged", locale)
        return _refusal(person, action, str(incident_id), locale, needs=needs)
    if action == PAGE_ACK and paged:
        reply = await _answer_page(runtime, person, incident_id, locale)
    else:
        reply = await _act(runtime, person, action, incident_id, locale)
    return dataclasses.replace(reply, settled=reply.change is not None)


async def _paged(
    runtime: Runtime, person: Person, incident_id: int, *, open_: bool = False
) -> bool:
    """The person was paged for the incident (``open_``: and has not answered yet)."""
    paging = runtime.engine.services.pagers
    if not person.rota_id or paging is None:
        return False
    return any(
        page.person == person.rota_id
        and page.status is PageStatus.SENT
        and not (open_ and page.answer)
        for page in await paging.store.pages(incident_id)
    )


async def _answer_page(runtime: Runtime, person: Person, incident_id: int, locale: str) -> Reply:
    """Acknowledge by answering the person's page, so the timeline says who acknowledged
    and how long after being paged; the incident is acknowledged, which stops the
    escalation."""
    paging = runtime.engine.services.pagers
    assert paging is not None
    answered = await paging.acknowledge(
        incident_id, by=person.actor, via="slack", person=person.rota_id
    )
    if not answered.ok:
        return Reply(text("cannot", locale, id=incident_id, reason=answered.message))
    detail = {"page": answered.page.id} if answered.page is not None else {}
    change = Change("page.ack", f"incident:{incident_id}", detail)
    return Reply(text("done_ack", locale, id=incident_id), change)
