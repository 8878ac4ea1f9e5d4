"""``Notices``: drafting, publishing, updating and resolving status notices, the components'
status and the banner, as the API, the CLI and the ``notice.*``/``banner.*`` actions use it.

A version is rendered from an approved script (see ``surge.notices.render``) and kept
with the script's id, content hash and vars. Publishing tells plugins through
``surge_notice_published`` (in the background, in order per notice); a draft through
``surge_notice_drafted``. A step passes its idempotency key, so running it again returns
what the first run stored and publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from surge.notices.model import (
    CLOSED,
    STATES,
    Audience,
    Banner,
    Component,
    ComponentState,
    ComponentStatus,
    Impact,
    Notice,
    NoticeChange,
    NoticeKind,
    NoticeState,
    NoticeVersion,
    Severity,
    fallback_title,
    worst,
)
from surge.notices.render import Rendering, render_notice
from surge.notices.view import StatusView, build_view
from surge.scripts.rules import ScriptError

if TYPE_CHECKING:
    from surge.engine.engine import Engine

# A notice's impact when none is given: from the worst status it gives a component.
IMPACT_OF = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}


def link_problem(link: str) -> str | None:
    """Why ``link`` may not be a banner's link: only http(s) URLs and paths on the site,
    so an embedding page never gets a ``javascript:`` link."""
    if not link or (link.startswith("/") and not link.startswith("//")):
        return None
    parts = urlsplit(link)
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    return f"a banner's link must be an http(s) URL or a path starting with /; got {link!r}"


class NoticeError(ValueError):
    """The request does not make a notice; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Draft:
    """What a version is made of. Fields left None keep the notice's (or take the kind's
    first state, and the impact of the worst component status, for a new notice)."""

    script: str
    vars: Mapping[str, Any] = field(default_factory=dict)
    state: NoticeState | None = None
    components: Mapping[str, ComponentStatus] = field(default_factory=dict)
    impact: Impact | None = None
    # for a new notice only:
    kind: NoticeKind = NoticeKind.INCIDENT
    audience: Audience = Audience.PUBLIC
    incident_id: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None


class Notices:
    """The notices of one runtime: built by ``surge.runtime``, found at
    ``ctx.services.notices`` by actions and ``runtime.engine.services.notices`` by routes."""

    def __init__(self, engine: Engine, components: tuple[Component, ...]) -> None:
        self.engine = engine
        self.store = engine.store
        self.components = {component.id: component for component in components}

    # -- reading --

    async def get(self, notice_id: int) -> Notice | None:
        return await self.store.notice(notice_id)

    async def versions(self, notice_id: int) -> list[NoticeVersion]:
        return await self.store.notice_versions(notice_id)

    async def open_notice(self, incident_id: int, audience: Audience) -> Notice | None:
        """The incident's newest open notice for ``audience``."""
        found = await self.store.notices(
            incident_id=incident_id, audience=audience, open_only=True, limit=1
        )
        return found[0] if found else None

    async def view(self, now: datetime | None = None, days: int = 14) -> StatusView:
        """What the public pages show now: see ``surge.notices.view``."""
        at = now or self.engine.clock()
        rows = await self.store.status_rows(at, at - timedelta(days=days))
        return build_view(rows, tuple(self.components.values()), at, days)

    async def revision(self) -> int:
        return await self.store.status_revision()

    # -- drafting and publishing --

    async def preview(self, script: str, variables: Mapping[str, Any]) -> Rendering:
        """The texts a draft from ``script`` would have, with every rule they break."""
        return await render_notice(self.engine.services.scripts, script, variables)

    async def draft(
        self, draft: Draft, *, author: str, notice_id: int | None = None, key: str = ""
    ) -> NoticeChange:
        """Keep a new version as a draft (of a new notice, or of ``notice_id``)."""
        notice, version = await self._make(draft, author, notice_id, key)
        change = await self.store.add_notice_version(notice, version, publish=False)
        if change.created:
            self._tell(change, drafted=True)
        return change

    async def publish(self, notice_id: int, number: int, *, by: str) -> NoticeChange:
        """Publish a draft kept earlier (NoticeConflict when it cannot be)."""
        change = await self.store.publish_notice_version(notice_id, number, by, self.engine.clock())
        self._tell(change)
        return change

    async def replay(self, key: str) -> NoticeChange | None:
        """What a step with this idempotency key stored already (a re-run after a crash),
        telling the plugins if the first run did not get to."""
        found = await self.store.notice_version_by_key(key) if key else None
        if found is not None:
            self._tell(found)
        return found

    async def publish_new(
        self, draft: Draft, *, author: str, notice_id: int | None = None, key: str = ""
    ) -> NoticeChange:
        """Render and publish at once: a new notice, or a new version of ``notice_id``."""
        if (found := await self.replay(key)) is not None:
            return found
        notice, version = await self._make(draft, author, notice_id, key)
        change = await self.store.add_notice_version(notice, version, publish=True)
        self._tell(change)
        return change

    async def resolve(
        self, notice_id: int, draft: Draft, *, author: str, key: str = ""
    ) -> NoticeChange:
        """Publish the closing version: resolved (completed for maintenance), with every
        component the notice lists back to operational unless ``draft`` says otherwise."""
        if (found := await self.replay(key)) is not None:
            return found
        notice = await self._notice(notice_id)
        components = {name: ComponentStatus.OPERATIONAL for name in notice.components}
        closing = Draft(
            script=draft.script,
            vars=draft.vars,
            state=CLOSED[notice.kind],
            components={**components, **draft.components},
            impact=draft.impact,
        )
        return await self.publish_new(closing, author=author, notice_id=notice_id, key=key)

    async def _notice(self, notice_id: int) -> Notice:
        notice = await self.store.notice(notice_id)
        if notice is None:
            raise NoticeError([f"there is no notice {notice_id}"])
        return notice

    async def _make(
        self, draft: Draft, author: str, notice_id: int | None, key: str
    ) -> tuple[Notice, NoticeVersion]:
        now = self.engine.clock()
        notice = await self._notice(notice_id) if notice_id is not None else None
        base = notice or self._new_notice(draft, author, now, key)
        self._check(draft, base)
        rendering = await render_notice(self.engine.services.scripts, draft.script, draft.vars)
        if not rendering.ok:
            raise ScriptError(rendering.problems())
        components = {**base.components, **draft.components}
        title = dict(base.title) or fallback_title(base.kind, components, self.components)
        version = NoticeVersion(
            notice_id=base.id,
            number=0,
            state=draft.state or base.state,
            impact=draft.impact or self._impact(notice, components),
            components=dict(draft.components),
            script_id=rendering.script.id,
            content_hash=rendering.script.content_hash,
            vars=dict(rendering.values),
            title={**title, **rendering.titles},
            body=rendering.bodies,
            author=author,
            at=now,
            key=key,
        )
        return base, version

    def _new_notice(self, draft: Draft, author: str, now: datetime, key: str) -> Notice:
        return Notice(
            id=0,
            kind=draft.kind,
            audience=draft.audience,
            impact=Impact.NONE,
            state=STATES[draft.kind][0],
            components={},
            created_at=now,
            updated_at=now,
            created_by=author,
            incident_id=draft.incident_id,
            window_start=draft.window_start,
            window_end=draft.window_end,
            key=key,
        )

    @staticmethod
    def _impact(notice: Notice | None, components: Mapping[str, ComponentStatus]) -> Impact:
        if notice is not None and notice.published_at is not None:
            return notice.impact
        return IMPACT_OF[worst(components.values())]

    def _check(self, draft: Draft, notice: Notice) -> None:
        problems = [
            f"unknown component {name!r}; known: {', '.join(self.components) or 'none'}"
            for name in draft.components
            if name not in self.components
        ]
        if draft.state is not None and draft.state not in STATES[notice.kind]:
            allowed = ", ".join(STATES[notice.kind])
            problems.append(f"{notice.kind} notices have the states {allowed}")
        if notice.kind is NoticeKind.MAINTENANCE and notice.id == 0:
            start, end = notice.window_start, notice.window_end
            if start is None or end is None:
                problems.append("a maintenance needs its window: when it starts and ends")
            elif end <= start:
                problems.append("a maintenance window must end after it starts")
        if problems:
            raise NoticeError(problems)

    def _tell(self, change: NoticeChange, *, drafted: bool = False) -> None:
        """Call the hook in the background, in order per notice; a published version is
        marked announced afterwards, so a re-run after a crash tells only what was not."""
        notice, version = change.notice, change.version
        if not drafted and (not version.is_published or version.announced_at is not None):
            return
        engine = self.engine

        async def event() -> None:
            incident = None
            if notice.incident_id is not None:
                incident = await engine.store.get_incident(notice.incident_id)
            if drafted:
                await engine.plugins.notice_drafted(notice, version, incident)
                return
            await engine.plugins.notice_published(notice, version, incident)
            await engine.store.mark_notice_announced(notice.id, version.number, engine.clock())

        engine.events.emit(-notice.id, event)  # negative: apart from incidents' own events

    # -- components --

    async def component_states(self) -> list[tuple[Component, ComponentState]]:
        """Every configured component with its status now, in config order."""
        stored = await self.store.component_states()
        since = self.engine.started_at
        return [
            (
                component,
                stored.get(component.id)
                or ComponentState(component.id, ComponentStatus.OPERATIONAL, since),
            )
            for component in self.components.values()
        ]

    async def set_component(
        self, component_id: str, status: ComponentStatus, *, by: str
    ) -> ComponentState:
        if component_id not in self.components:
            known = ", ".join(self.components) or "none"
            raise NoticeError([f"unknown component {component_id!r}; known: {known}"])
        state = ComponentState(component_id, status, self.engine.clock(), by)
        await self.store.set_component_state(state)
        return state

    # -- the banner --

    async def show_banner(
        self,
        script: str,
        variables: Mapping[str, Any],
        *,
        severity: Severity,
        by: str,
        link: str = "",
        expires_at: datetime | None = None,
        incident_id: int | None = None,
        key: str = "",
    ) -> tuple[Banner, bool]:
        """Show a banner rendered from an approved script; the newest active one is shown."""
        problem = link_problem(link)
        if problem:
            raise NoticeError([problem])
        rendering = await render_notice(self.engine.services.scripts, script, variables)
        if not rendering.ok:
            raise ScriptError(rendering.problems())
        now = self.engine.clock()
        banner = Banner(
            id=0,
            script_id=rendering.script.id,
            content_hash=rendering.script.content_hash,
            vars=dict(rendering.values),
            text=rendering.bodies,
            severity=severity,
            link=link,
            shown_by=by,
            shown_at=now,
            expires_at=expires_at,
            incident_id=incident_id,
            key=key,
        )
        return await self.store.show_banner(banner)

    async def clear_banner(self, *, by: str, incident_id: int | None = None) -> list[Banner]:
        return await self.store.clear_banners(by, self.engine.clock(), incident_id=incident_id)
