"""Notices by hand, JSON in and JSON out: what the ``/api/v1/notices`` and
``/api/v1/components`` routes do, and what the CLI does on the store directly.

Each change returns its JSON answer and the audit ``Change`` that describes it; the
caller records the change as its person. Errors: ``NoticeError`` (a body that makes no
notice, 400), ``ScriptError`` (vars that do not fit, or a text that breaks a rule, 400),
``NotFound`` (404), ``NoticeConflict`` and ``NotApproved`` (409).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from surge.audit.changes import Change
from surge.durations import DurationError, parse_duration
from surge.notices import serialize
from surge.notices.model import (
    Audience,
    ComponentStatus,
    Impact,
    NoticeChange,
    NoticeKind,
    NoticeState,
    Severity,
)
from surge.notices.service import Draft, NoticeError, Notices, link_problem
from surge.playbook.messages import show

Json = dict[str, Any]
Changed = tuple[Json, Change]
MAX_LIMIT = 1000
MAX_ID = 10**18 - 1  # as the API's schemas allow (surge.web.schemas.MAX_ID)
NEW_FIELDS = ("script", "vars", "state", "components", "impact", "audience", "kind", "incident",
              "window", "draft")  # fmt: skip
VERSION_FIELDS = ("script", "vars", "state", "components", "impact", "draft")
RESOLVE_FIELDS = ("script", "vars", "components", "impact")
BANNER_FIELDS = ("script", "vars", "severity", "link", "expires")
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class NotFound(LookupError):
    """No such notice, version or component."""


def _choice(value: Any, kind: type[Any], what: str, problems: list[str]) -> Any:
    allowed = [item.value for item in kind]
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        problems.append(f"{what} must be one of {', '.join(allowed)}; got {show(value)}")
        return None
    return kind(value)


def _time(value: Any, what: str, problems: list[str]) -> datetime | None:
    """An ISO 8601 time; without an offset, UTC."""
    if not isinstance(value, str):
        problems.append(f"{what} must be an ISO 8601 time such as 2026-03-03T02:00:00+08:00")
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"{what}: {show(value)} is not an ISO 8601 time")
        return None
    return found.astimezone(UTC) if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _components(value: Any, problems: list[str]) -> dict[str, ComponentStatus]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append("components must map a component's id to its status")
        return {}
    found = {}
    for name, status in value.items():
        chosen = _choice(status, ComponentStatus, f"components.{name}", problems)
        if chosen is not None:
            found[str(name)] = chosen
    return found


def parse_draft(body: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[Draft, bool]:
    """The draft a body asks for, and whether it is to be kept as a draft (``draft``)."""
    problems = [
        f"unknown field {show(key)}; known: {', '.join(fields)}"
        for key in body
        if key not in fields
    ]
    script = body.get("script")
    if not isinstance(script, str) or not script:
        problems.append("script must be the id of an approved script")
    variables = body.get("vars", {})
    if not isinstance(variables, dict):
        problems.append("vars must be a mapping of the script's variables")
        variables = {}
    draft_flag = body.get("draft", False)
    if not isinstance(draft_flag, bool):
        problems.append("draft must be true or false")
    incident = body.get("incident")
    if incident is not None and (
        not isinstance(incident, int) or isinstance(incident, bool) or incident < 1
    ):
        problems.append("incident must be an incident's id")
        incident = None
    window = _window(body.get("window"), problems)
    draft = Draft(
        script=str(script or ""),
        vars=variables,
        state=_choice(body.get("state"), NoticeState, "state", problems),
        components=_components(body.get("components"), problems),
        impact=_choice(body.get("impact"), Impact, "impact", problems),
        kind=_choice(body.get("kind"), NoticeKind, "kind", problems) or NoticeKind.INCIDENT,
        audience=_choice(body.get("audience"), Audience, "audience", problems) or Audience.PUBLIC,
        incident_id=incident,
        window_start=window[0],
        window_end=window[1],
    )
    if problems:
        raise NoticeError(problems)
    return draft, draft_flag is True


def _window(value: Any, problems: list[str]) -> tuple[datetime | None, datetime | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict) or set(value) != {"starts_at", "ends_at"}:
        problems.append("window must be {starts_at, ends_at}, two ISO 8601 times")
        return None, None
    return (
        _time(value["starts_at"], "window.starts_at", problems),
        _time(value["ends_at"], "window.ends_at", problems),
    )


def answer(change: NoticeChange) -> Json:
    return {
        "notice": serialize.notice(change.notice),
        "version": serialize.version(change.version),
        "created": change.created,
    }


def _change(verb: str, change: NoticeChange) -> Change:
    version = change.version
    detail = {
        "version": version.number,
        "status": version.status.value,
        "state": version.state.value,
        "script": version.script_id,
        "content_hash": version.content_hash,
        "vars": dict(version.vars),
        "components": {name: status.value for name, status in version.components.items()},
    }
    return Change(f"notice.{verb}", f"notice:{change.notice.id}", detail)


class NoticeOps:
    def __init__(self, notices: Notices) -> None:
        self.notices = notices

    async def list(self, filters: Mapping[str, str]) -> Json:
        problems: list[str] = []
        known = ("kind", "audience", "open", "incident", "limit")
        problems += [f"unknown filter {show(key)}; known: {', '.join(known)}"
                     for key in filters if key not in known]  # fmt: skip
        kind = _choice(filters.get("kind"), NoticeKind, "kind", problems)
        audience = _choice(filters.get("audience"), Audience, "audience", problems)
        open_only = _FLAGS.get(filters.get("open", "false"))
        if open_only is None:
            problems.append("open must be true or false")
        incident, limit = filters.get("incident"), filters.get("limit", "100")
        if incident is not None and not _whole(incident, 1, MAX_ID):
            problems.append("incident must be an incident's id")
        if not _whole(limit, 1, MAX_LIMIT):
            problems.append(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        if problems:
            raise NoticeError(problems)
        found = await self.notices.store.notices(
            kind=kind,
            audience=audience,
            incident_id=int(incident) if incident else None,
            open_only=bool(open_only),
            limit=int(limit),
        )
        return {"notices": [serialize.notice(item) for item in found]}

    async def show(self, notice_id: int) -> Json:
        found = await self.notices.get(notice_id)
        if found is None:
            raise NotFound(f"no notice {notice_id}")
        versions = await self.notices.versions(notice_id)
        return {**serialize.notice(found), "versions": [serialize.version(v) for v in versions]}

    async def preview(self, body: Mapping[str, Any]) -> Json:
        known = ("script", "vars")
        draft, _ = parse_draft({key: value for key, value in body.items() if key in known}, known)
        unknown = [key for key in body if key not in known]
        if unknown:
            raise NoticeError(
                [f"unknown field {show(key)}; known: script, vars" for key in unknown]
            )
        rendering = await self.notices.preview(draft.script, draft.vars)
        return rendering.as_json()

    async def create(self, body: Mapping[str, Any], author: str) -> Changed:
        draft, keep = parse_draft(body, NEW_FIELDS)
        if keep:
            change = await self.notices.draft(draft, author=author)
            return answer(change), _change("draft", change)
        change = await self.notices.publish_new(draft, author=author)
        return answer(change), _change("publish", change)

    async def add_version(self, notice_id: int, body: Mapping[str, Any], author: str) -> Changed:
        await self._exists(notice_id)
        draft, keep = parse_draft(body, VERSION_FIELDS)
        if keep:
            change = await self.notices.draft(draft, author=author, notice_id=notice_id)
            return answer(change), _change("draft", change)
        change = await self.notices.publish_new(draft, author=author, notice_id=notice_id)
        return answer(change), _change("update", change)

    async def resolve(self, notice_id: int, body: Mapping[str, Any], author: str) -> Changed:
        await self._exists(notice_id)
        draft, _ = parse_draft(body, RESOLVE_FIELDS)
        change = await self.notices.resolve(notice_id, draft, author=author)
        return answer(change), _change("resolve", change)

    async def publish(self, notice_id: int, number: int, by: str) -> Changed:
        await self._exists(notice_id)
        change = await self.notices.publish(notice_id, number, by=by)
        return answer(change), _change("publish", change)

    async def _exists(self, notice_id: int) -> None:
        if await self.notices.get(notice_id) is None:
            raise NotFound(f"no notice {notice_id}")

    async def components(self) -> Json:
        states = await self.notices.component_states()
        return {"components": [serialize.component(item, state) for item, state in states]}

    async def set_component(self, component_id: str, body: Mapping[str, Any], by: str) -> Changed:
        if component_id not in self.notices.components:
            raise NotFound(f"no component {component_id!r}")
        problems = [f"unknown field {show(key)}; known: status" for key in body if key != "status"]
        status = _choice(body.get("status"), ComponentStatus, "status", problems)
        if status is None and not problems:
            problems.append("status is required")
        if problems or status is None:
            raise NoticeError(problems)
        state = await self.notices.set_component(component_id, status, by=by)
        component = self.notices.components[component_id]
        change = Change("component.set", f"component:{component_id}", {"status": status.value})
        return serialize.component(component, state), change

    # -- the banner --

    async def banners(self, limit: int = 20) -> Json:
        """The banner shown now (or null), and the latest banners, newest first."""
        now = self.notices.engine.clock()
        found = await self.notices.store.banners(limit)
        active = next((item for item in found if item.active(now)), None)
        return {
            "active": serialize.banner(active) if active else None,
            "banners": [serialize.banner(item) for item in found],
        }

    async def show_banner(self, body: Mapping[str, Any], by: str) -> Changed:
        known = ", ".join(BANNER_FIELDS)
        problems = [
            f"unknown field {show(k)}; known: {known}" for k in body if k not in BANNER_FIELDS
        ]
        script, variables, link = body.get("script"), body.get("vars", {}), body.get("link", "")
        if not isinstance(script, str) or not script:
            problems.append("script must be the id of an approved script")
        if not isinstance(variables, dict):
            problems.append("vars must be a mapping of the script's variables")
        if not isinstance(link, str):
            problems.append("link must be an http(s) URL or a path")
        elif (problem := link_problem(link)) is not None:
            problems.append(problem)
        severity = _choice(body.get("severity", "warning"), Severity, "severity", problems)
        expires_at = None
        if body.get("expires") is not None:
            try:
                seconds = parse_duration(body["expires"])
            except (DurationError, TypeError):
                problems.append("expires must be a duration such as 30m or 2h")
            else:
                expires_at = self.notices.engine.clock() + timedelta(seconds=seconds)
        if problems or severity is None:
            raise NoticeError(problems)
        banner, _ = await self.notices.show_banner(
            str(script), dict(variables), severity=severity, by=by, link=str(link),
            expires_at=expires_at,
        )  # fmt: skip
        shown = serialize.banner(banner)
        return shown, Change("banner.show", f"banner:{banner.id}", {"script": banner.script_id})

    async def clear_banner(self, by: str) -> Changed:
        cleared = await self.notices.clear_banner(by=by)
        ids = [item.id for item in cleared]
        return {"cleared": ids}, Change("banner.clear", "banner", {"cleared": ids})


def _whole(text: str, lowest: int, highest: int) -> bool:
    """A whole number written in ASCII digits, within the bounds ("²" is a digit to
    ``str.isdigit`` and not to ``int``)."""
    return text.isascii() and text.isdigit() and lowest <= int(text) <= highest
