"""Gathering a post-incident report from the store: the incident, its timeline, pages,
notices, customers, and the follow-ups its playbook names for the departments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from surge.notices.model import Notice, NoticeVersion, in_locale
from surge.paging.records import Escalation as EscalationRecord
from surge.paging.records import PageRecord
from surge.playbook.model import Department
from surge.report import model
from surge.report.model import MAX_TIMELINE, Report
from surge.scripts.model import LOCALES
from surge.store.records import Incident, TimelineEntry
from surge.templating import TemplateError

if TYPE_CHECKING:
    from surge.engine.engine import Engine

CLOSED = ("resolved", "cancelled")
MAX_NOTICES = 1000


class Reports:
    """Builds reports for the runtime's incidents (``ctx.services.reports``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def build(
        self,
        incident_id: int,
        *,
        locale: str | None = None,
        extra: Sequence[model.FollowUp] = (),
    ) -> Report | None:
        """The incident's report, or None when there is no such incident. ``extra``
        follow-ups come after those of the playbook's ``report.departments`` (a
        ``report.send`` step's own, rendered already)."""
        store = self.engine.store
        incident = await store.get_incident(incident_id)
        if incident is None:
            return None
        playbook = self.engine.playbooks.get(incident.playbook_id)
        spec_locale = playbook.report.locale if playbook else LOCALES[0]
        chosen = locale if locale in LOCALES else spec_locale
        entries = await store.timeline(incident_id)
        notices = await self._notices(incident_id, chosen)
        wanted = playbook.report.departments if playbook else ()
        return Report(
            incident=incident,
            locale=chosen,
            generated_at=self.engine.clock(),
            milestones=milestones(entries),
            links=tuple(links(incident, entries)),
            escalations=tuple(await self._escalations(incident_id)),
            notices=notices,
            components=self._components(incident, notices),
            component_names=self._component_names(chosen),
            customers=tuple(await store.customers(incident_id)),
            follow_ups=(*self._follow_ups(incident, wanted), *extra),
            timeline=tuple(entries[:MAX_TIMELINE]),
            timeline_more=max(0, len(entries) - MAX_TIMELINE),
        )

    async def _escalations(self, incident_id: int) -> list[model.Escalation]:
        store = self.engine.store
        pages = await store.pages(incident_id)
        rota = self.engine.services.rota
        names = {person.id: person.name for person in rota.people.values()} if rota else {}
        return [
            _escalation(item, [p for p in pages if p.escalation_id == item.id], names)
            for item in await store.escalations(incident_id)
        ]

    async def _notices(self, incident_id: int, locale: str) -> tuple[model.Notice, ...]:
        """The incident's notices, oldest first, each with every version."""
        notices = self.engine.services.notices
        if notices is None:
            return ()
        found = await notices.store.notices(incident_id=incident_id, limit=MAX_NOTICES)
        shown = []
        for notice in sorted(found, key=lambda item: item.id):
            shown.append(_notice(notice, await notices.versions(notice.id), locale))
        return tuple(shown)

    def _component_names(self, locale: str) -> dict[str, str]:
        """The configured components' names in ``locale``, by id."""
        notices = self.engine.services.notices
        known = notices.components.values() if notices is not None else ()
        return {item.id: in_locale(item.name, locale) for item in known}

    def _components(self, incident: Incident, notices: Iterable[model.Notice]) -> tuple[str, ...]:
        playbook = self.engine.playbooks.get(incident.playbook_id)
        values = {"params": incident.params, **incident.context}
        found: list[str] = []
        for text in playbook.components if playbook else ():
            try:
                found.append(str(self.engine.templates.render(text, values)))
            except TemplateError:
                continue
        for notice in notices:
            found.extend(notice.components)
        return tuple(dict.fromkeys(name for name in found if name))

    def _follow_ups(
        self, incident: Incident, departments: Iterable[Department]
    ) -> list[model.FollowUp]:
        values = {"params": incident.params, "incident": _incident_values(incident)}
        shown = []
        for department in departments:
            try:
                text = str(self.engine.templates.render(department.follow_up, values))
            except TemplateError as error:
                text = f"{department.follow_up} ({error})"
            shown.append(model.FollowUp(department.name, text))
        return shown


def milestones(entries: Iterable[TimelineEntry]) -> model.Milestones:
    """The first acknowledgement, mitigation and close on the timeline."""
    first: dict[str, TimelineEntry] = {}
    for entry in entries:
        if entry.kind == "status":
            first.setdefault(str(entry.data.get("status", "")), entry)
    closing = min(
        (first[name] for name in CLOSED if name in first), key=lambda e: e.at, default=None
    )
    return model.Milestones(
        acknowledged=first["acknowledged"].at if "acknowledged" in first else None,
        mitigated=first["mitigated"].at if "mitigated" in first else None,
        closed=closing.at if closing else None,
        closed_as=str(closing.data.get("status", "")) if closing else "",
    )


def links(incident: Incident, entries: Iterable[TimelineEntry]) -> list[model.Link]:
    """The incident that started this one (``playbook.trigger``) and those it started."""
    found = []
    parent = incident.context.get("parent")
    if isinstance(parent, Mapping):
        found.append(
            model.Link(
                "parent", int(parent["incident"]), str(parent["playbook"]), str(parent["step"])
            )
        )
    for entry in entries:
        child = entry.data.get("child") if entry.kind == "playbook.triggered" else None
        if isinstance(child, Mapping) and child.get("incident") is not None:
            step = str(entry.data.get("step", ""))
            found.append(
                model.Link(
                    "child", int(child["incident"]), str(child["playbook"]), step, child["outcome"]
                )
            )
    return list(dict.fromkeys(found))


def _incident_values(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "playbook": incident.playbook_id,
        "severity": incident.severity,
        "status": incident.status.value,
    }


def _escalation(
    record: EscalationRecord, pages: Sequence[PageRecord], names: Mapping[str, str]
) -> model.Escalation:
    return model.Escalation(
        policy=record.policy,
        purpose=record.purpose,
        started_at=record.started_at,
        outcome=record.outcome,
        acked_by=record.acked_by,
        acked_at=record.acked_at,
        pages=tuple(
            model.Page(
                person=page.person,
                name=names.get(page.person, page.person),
                pager=page.pager,
                status=page.status.value,
                at=page.sent_at or page.created_at,
                answer=page.answer,
                answered_at=page.answered_at,
            )
            for page in pages
        ),
    )


def _notice(notice: Notice, versions: Sequence[NoticeVersion], locale: str) -> model.Notice:
    return model.Notice(
        id=notice.id,
        audience=notice.audience.value,
        state=notice.state.value,
        components={name: status.value for name, status in notice.components.items()},
        versions=tuple(
            model.NoticeVersion(
                number=version.number,
                state=version.state.value,
                status=version.status.value,
                title=in_locale(version.title, locale),
                body=in_locale(version.body, locale),
                at=version.at,
                published_at=version.published_at,
                published_by=version.published_by,
            )
            for version in versions
        ),
    )
