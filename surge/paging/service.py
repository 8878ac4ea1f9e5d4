"""Paging people: delivering one page with fail-over across a person's contact methods,
answering the signed links, and telling pagers when an incident is acknowledged or
resolved. The escalation (``surge.paging.escalation``) and the call-in
(``surge.staffing.call_in``) decide whom to page; this decides how.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from surge.channels.rooms import invite_paged
from surge.durations import format_duration
from surge.paging.links import make_token
from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.paging.spec import Page, Pager, PagerError
from surge.paging.text import page_text
from surge.rota.model import Person, Rota
from surge.rota.oncall import who
from surge.store.base import Store
from surge.store.records import Incident, IncidentStatus, TimelineEntry

if TYPE_CHECKING:
    from surge.engine.engine import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answered:
    """What became of an answer: ``ok``, and a sentence for the person who gave it."""

    ok: bool
    message: str
    page: PageRecord | None = None


class Paging:
    def __init__(self, engine: Engine, rota: Rota | None, pagers: Mapping[str, Pager]) -> None:
        self.engine = engine
        self.rota = rota
        self.pagers = dict(pagers)

    @property
    def store(self) -> Store:
        return self.engine.store

    def person(self, person_id: str) -> Person:
        assert self.rota is not None
        return self.rota.people[person_id]

    async def oncall(self, incident_id: int, team: str | None = None) -> list[Person]:
        """The incident's on-call people: who is on shift now (of ``team``, else of every
        team), then whom its escalations have paged, each once, in that order. Rooms
        invite them (``channel.open`` with ``invite_oncall``); empty without a rota."""
        if self.rota is None:
            return []
        if team is not None and team not in self.rota.teams:
            known = ", ".join(sorted(self.rota.teams)) or "none"
            raise ValueError(f"no team {team!r} in the rota (known: {known})")
        found = [entry.person for entry in who(self.rota, self.engine.clock(), team)]
        found += [
            page.person
            for page in await self.store.pages(incident_id)
            if page.status is PageStatus.SENT
        ]
        people = self.rota.people
        return [people[person] for person in dict.fromkeys(found) if person in people]

    def entry(self, incident_id: int, kind: str, message: str, **data: Any) -> TimelineEntry:
        redact = self.engine.redactor
        return TimelineEntry(
            incident_id,
            self.engine.clock(),
            "paging",
            kind,
            redact.text(message),
            redact.value(data),
        )

    # -- delivering --

    async def deliver(
        self,
        escalation: Escalation,
        incident: Incident,
        person_id: str,
        script: str,
        variables: Mapping[str, Any],
    ) -> PageRecord | None:
        """Page one person: each contact method in turn until one delivery succeeds.

        Every delivery is stored as ``sending`` before its pager is called and finished
        after, so a re-run (after a crash) sends nothing already sent; one that was cut
        off is sent again with the same key if its pager de-duplicates, else marked
        unknown. Returns the page that reached the person, or None.
        """
        person = self.person(person_id)
        base = f"{escalation.key}/{escalation.round}.{escalation.level}/{person_id}"
        for method, contact in enumerate(person.contacts):
            key = f"{base}/{method}"
            now = self.engine.clock()
            record = PageRecord(
                0, escalation.id, incident.id, key, person_id, escalation.round,
                escalation.level, method, contact.pager, contact.address,
                PageStatus.SENDING, now,
            )  # fmt: skip
            stored, new = await self.store.begin_page(record, [])
            if stored.status is PageStatus.SENT:
                return stored
            if stored.status in (PageStatus.FAILED, PageStatus.UNKNOWN):
                if stored.status is PageStatus.UNKNOWN:
                    return None  # it may have reached them: do not page them a second way
                continue
            if not new and not await self._may_resend(stored, person):
                return None
            if await self._send(stored, incident, person, script, variables, escalation.purpose):
                if escalation.purpose == "escalation":
                    await self._join_rooms(incident.id, person)
                return stored
        await self.engine.note(
            incident.id, "paging", "page.unreachable",
            f"could not reach {person.name} by any contact method", {"person": person_id},
        )  # fmt: skip
        return None

    async def _join_rooms(self, incident_id: int, person: Person) -> None:
        """Someone paged joins the incident's rooms opened with its on-call people."""
        channels = self.engine.services.channels
        if channels is None:
            return
        try:
            await invite_paged(channels, incident_id, [person])
        except Exception:  # a room is a help, never a reason for a page to fail
            log.warning("inviting %s into the incident's rooms failed", person.id, exc_info=True)

    async def _may_resend(self, page: PageRecord, person: Person) -> bool:
        pager = self.pagers.get(page.pager)
        if pager is not None and pager.spec.safe_to_resend:
            await self.engine.note(
                page.incident_id, "paging", "page.recovered",
                f"the page to {person.name} by {page.pager} was cut off; sending it again "
                "with the same idempotency key", {"page": page.id, "key": page.key},
            )  # fmt: skip
            return True
        message = (
            f"the page to {person.name} by {page.pager} was cut off while sending and "
            f"{page.pager} cannot de-duplicate; it may or may not have arrived, so it is not "
            "sent again"
        )
        entry = self.entry(page.incident_id, "page.unknown", message, page=page.id)
        await self.store.finish_page(page.id, PageStatus.UNKNOWN, self.engine.clock(), "", [entry])
        return False

    async def _send(
        self,
        page: PageRecord,
        incident: Incident,
        person: Person,
        script: str,
        variables: Mapping[str, Any],
        purpose: str,
    ) -> bool:
        pager = self.pagers.get(page.pager)
        try:
            if pager is None:
                known = ", ".join(sorted(self.pagers)) or "none"
                raise PagerError(
                    f"no pager {page.pager!r} under pagers: in the config (known: {known})"
                )
            links = self.links(page, purpose)
            subject, text = await page_text(
                self.engine.services.scripts, script, person, {**variables, **links}
            )
            message = Page(page.key, incident, person, page.address, subject, text, links, purpose)
            result = await pager.spec.send(pager.options, message, self.engine.http)
        except (PagerError, ValueError) as error:
            await self._failed(page, person, str(error))
            return False
        except Exception as error:  # a pager's bug counts as a failed delivery
            log.warning("pager %s raised", page.pager, exc_info=True)
            await self._failed(page, person, f"{type(error).__name__}: {error}")
            return False
        entry = self.entry(
            incident.id, "page.sent",
            f"paged {person.name} by {page.pager} ({page.address}){_where(page, purpose)}",
            page=page.id, person=person.id, pager=page.pager, key=page.key,
            result=dict(result or {}),
        )  # fmt: skip
        await self.store.finish_page(page.id, PageStatus.SENT, self.engine.clock(), "", [entry])
        return True

    async def _failed(self, page: PageRecord, person: Person, error: str) -> None:
        following = (
            "; trying the next contact method" if page.method + 1 < len(person.contacts) else ""
        )
        entry = self.entry(
            page.incident_id, "page.failed",
            f"page to {person.name} by {page.pager} failed: {error}{following}",
            page=page.id, person=person.id, pager=page.pager,
        )  # fmt: skip
        await self.store.finish_page(
            page.id, PageStatus.FAILED, self.engine.clock(), error, [entry]
        )

    def links(self, page: PageRecord, purpose: str) -> dict[str, str]:
        """The signed links the page carries (none without ``pagers.links.secret_env``)."""
        secret = self.engine.config.pagers.links.secret()
        if not secret:
            return {"ack": ""} if purpose == "escalation" else {"accept": "", "decline": ""}
        ttl = self.engine.config.pagers.links.ttl
        expires = self.engine.clock() + timedelta(seconds=ttl)
        base = self.engine.config.public_url.rstrip("/")
        actions = (Answer.ACK,) if purpose == "escalation" else (Answer.ACCEPT, Answer.DECLINE)
        return {
            action.value: f"{base}/page/{make_token(secret, page.id, action, expires)}"
            for action in actions
        }

    # -- answers --

    async def answer(self, page_id: int, action: Answer, via: str) -> Answered:
        """Answer a page (from its link, the CLI, a chat button): once only."""
        page = await self.store.page(page_id)
        if page is None:
            return Answered(False, "this page no longer exists")
        if page.answer:
            when = page.answered_at.isoformat() if page.answered_at else ""
            return Answered(False, f"this link was already used ({page.answer}, {when})", page)
        person = self.person(page.person) if self.rota and page.person in self.rota.people else None
        name = person.name if person else page.person
        now = self.engine.clock()
        since = format_duration((now - (page.sent_at or page.created_at)).total_seconds())
        kind = {Answer.ACK: "page.ack", Answer.ACCEPT: "callin.accepted"}.get(
            action, "callin.declined"
        )
        verb = {Answer.ACK: "acknowledged", Answer.ACCEPT: "accepted", Answer.DECLINE: "declined"}
        entry = self.entry(
            page.incident_id, kind, f"{name} {verb[action]} by {via}, {since} after the page",
            page=page.id, person=page.person, via=via,
            seconds=round((now - (page.sent_at or page.created_at)).total_seconds(), 3),
        )  # fmt: skip
        answered = await self.store.answer_page(page_id, action, via, now, [entry])
        if answered is None:
            return Answered(False, "this link was already used", page)
        escalation = await self.store.escalation(page.escalation_id)
        if action is Answer.ACK:
            return await self._acknowledge_incident(page.incident_id, name, answered)
        if escalation is not None:
            await self.store.wake_run(escalation.run_id, now)
            self.engine.wake()
        return Answered(True, f"thank you, {name}: you {verb[action]}", answered)

    async def _acknowledge_incident(
        self, incident_id: int, name: str, page: PageRecord | None
    ) -> Answered:
        from surge.engine.engine import TransitionError

        try:
            await self.engine.change_status(
                incident_id, IncidentStatus.ACKNOWLEDGED, name, "by page"
            )
        except TransitionError as error:
            return Answered(True, f"thank you, {name}: noted ({error})", page)
        return Answered(True, f"thank you, {name}: incident {incident_id} is acknowledged", page)

    async def acknowledge(
        self, incident_id: int, by: str, via: str, person: str | None = None
    ) -> Answered:
        """Acknowledge an incident for someone who was paged, from anywhere (the Slack
        plugin's button calls this): the person's latest page is answered, so the
        timeline shows who acknowledged and how long after being paged; the incident
        is acknowledged, which stops its escalation."""
        pages = [
            page for page in await self.store.pages(incident_id)
            if page.status is PageStatus.SENT and not page.answer
            and (person is None or page.person == person)
        ]  # fmt: skip
        if pages:
            return await self.answer(pages[-1].id, Answer.ACK, via)
        return await self._acknowledge_incident(incident_id, by, None)

    # -- incidents changing --

    async def status_changed(self, incident: Incident, previous: IncidentStatus) -> None:
        """Tell each pager that paged this incident that it was acknowledged or resolved
        (``update``; ``settle`` with the pages it sent, a chat pager's messages)."""
        event = "resolve" if not incident.status.is_open else "acknowledge"
        if (
            incident.status is IncidentStatus.MITIGATED
            or incident.status is IncidentStatus.TRIGGERED
        ):
            return
        sent: dict[str, list[PageRecord]] = {}
        for page in await self.store.pages(incident.id):
            if page.status is PageStatus.SENT:
                sent.setdefault(page.pager, []).append(page)
        for name in sorted(sent):
            pager = self.pagers.get(name)
            if pager is None or (pager.spec.update is None and pager.spec.settle is None):
                continue
            try:
                if pager.spec.update is not None:
                    await pager.spec.update(pager.options, incident, event, self.engine.http)  # type: ignore[arg-type]
                if pager.spec.settle is not None:
                    pages = sent[name]
                    await pager.spec.settle(pager.options, incident, event, pages, self.engine.http)  # type: ignore[arg-type]
            except Exception as error:
                await self.engine.note(
                    incident.id, "paging", "page.failed",
                    f"could not tell {name} that the incident was {incident.status.value}: {error}",
                )  # fmt: skip
            else:
                await self.engine.note(
                    incident.id, "paging", "page.update", f"told {name}: {event}", {"pager": name}
                )

    async def fair_order(self, candidates: Sequence[str]) -> list[str]:
        """Least recently called first; never-called people first, in written order."""
        last = await self.store.last_called()
        position = {person: n for n, person in enumerate(candidates)}
        never = datetime.min.replace(tzinfo=self.engine.clock().tzinfo)
        return sorted(candidates, key=lambda person: (last.get(person, never), position[person]))


def _where(page: PageRecord, purpose: str) -> str:
    return f", round {page.round + 1} level {page.level + 1}" if purpose == "escalation" else ""
