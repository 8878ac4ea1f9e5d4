"""The notice composer: choose an approved script, fill its variables, see the notice in
every locale the script has with each broken rule marked, then keep it as a draft or
publish it (``publish``: comms and admin). It goes through the ``Notices`` service
(surge/notices), as the API and the ``notice.*`` actions do, so only an approved script
renders and a text that breaks a rule is never kept.

The preview is rendered here too: the page's script posts the form to
``/console/notices/preview`` as it is typed and shows the fragment it gets back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape

from surge.audit.changes import Change
from surge.notices.model import (
    STATES,
    Audience,
    ComponentStatus,
    NoticeChange,
    NoticeKind,
    NoticeState,
)
from surge.notices.render import LocaleText, Rendering
from surge.notices.service import Draft, NoticeError, Notices
from surge.roles import PUBLISH
from surge.scripts.approval import ApprovalState, NotApproved, standing
from surge.scripts.model import Script
from surge.scripts.rules import ScriptError, Violation
from surge.web.audit import audit
from surge.web.auth import console_page
from surge.web.console.render import fragment, redirect, render
from surge.web.console.trigger import fields_of
from surge.web.keys import principal, runtime

routes = web.RouteTableDef()
VAR = "var."
COMPONENT = "component."
MAX_VALUE = 10_000


def notices_of(request: web.Request) -> Notices:
    found = runtime(request).engine.services.notices
    if found is None:
        raise web.HTTPNotFound(reason="notices are not set up on this server")
    return found


async def approved_scripts(request: web.Request) -> list[tuple[Script, ApprovalState]]:
    """Every loaded script with its approval state (only approved ones can be chosen)."""
    state = runtime(request)
    history = await state.store.approvals()
    return [(script, standing(script, history).state) for script in state.scripts.all()]


@dataclass(frozen=True)
class Composed:
    """The composer's form as posted (or as it starts)."""

    script: Script
    typed: dict[str, str]  # var name -> what was typed
    state: str
    audience: str
    components: dict[str, str]  # component id -> status, "" for not affected
    incident: str
    notice_id: int | None

    def draft(self) -> Draft:
        problems = []
        incident_id = None
        if self.incident.strip():
            if not self.incident.strip().isdigit() or len(self.incident.strip()) > 18:
                problems.append("incident must be an incident's number")
            else:
                incident_id = int(self.incident)
        if problems:
            raise NoticeError(problems)
        return Draft(
            script=self.script.id,
            vars={name: value for name, value in self.typed.items() if value.strip()},
            state=NoticeState(self.state) if self.state in set(NoticeState) else None,
            components={
                name: ComponentStatus(value)
                for name, value in self.components.items()
                if value in set(ComponentStatus)
            },
            kind=NoticeKind.INCIDENT,
            audience=Audience(self.audience) if self.audience in set(Audience) else Audience.PUBLIC,
            incident_id=incident_id,
        )


def _script(request: web.Request, script_id: str) -> Script:
    script = runtime(request).scripts.get(script_id)
    if script is None:
        raise web.HTTPNotFound(reason=f"no script {script_id!r}")
    return script


def read_form(request: web.Request, form: Mapping[str, Any]) -> Composed:
    script = _script(request, str(form.get("script", "")))
    text = {key: str(value)[:MAX_VALUE] for key, value in form.items()}
    notice = text.get("notice", "")
    return Composed(
        script=script,
        typed={name: text.get(VAR + name, "") for name in script.vars},
        state=text.get("state", ""),
        audience=text.get("audience", ""),
        components={
            key[len(COMPONENT) :]: value for key, value in text.items() if key.startswith(COMPONENT)
        },
        incident=text.get("incident", ""),
        notice_id=int(notice) if notice.isdigit() and len(notice) <= 18 else None,
    )


def marked(text: str, violations: tuple[Violation, ...]) -> Markup:
    """``text`` escaped, with each broken rule's span in a ``<mark>`` saying which rule."""
    spans = sorted((item.start, item.end, item) for item in violations if item.end > item.start)
    out, at = [], 0
    for start, end, item in spans:
        if start < at:  # overlapping spans: the first one marks it
            continue
        out.append(escape(text[at:start]))
        title = escape(item.message)
        out.append(Markup(f'<mark class="violation {item.rule}" title="{title}">'))
        out.append(escape(text[start:end]))
        out.append(Markup("</mark>"))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


@dataclass(frozen=True)
class Preview:
    locale: str
    title: Markup
    body: Markup
    violations: tuple[Violation, ...]


def previews(rendering: Rendering) -> list[Preview]:
    return [_preview(text) for text in rendering.texts]


def _preview(text: LocaleText) -> Preview:
    return Preview(
        text.locale,
        marked(text.title, text.title_violations),
        marked(text.body, text.body_violations),
        text.violations,
    )


async def preview_context(request: web.Request, composed: Composed) -> dict[str, Any]:
    """The preview of what is typed: each locale with its marks, or why there is none."""
    try:
        rendering = await notices_of(request).preview(composed.script.id, composed.draft().vars)
    except (ScriptError, NoticeError) as error:
        return {"previews": [], "problems": error.problems}
    except NotApproved as error:
        return {"previews": [], "problems": [str(error)]}
    return {"previews": previews(rendering), "problems": []}


async def _compose(
    request: web.Request, composed: Composed | None, problems: list[str], status: int = 200
) -> web.Response:
    notice = request.query.get("notice", "")
    for_notice = composed.notice_id if composed else (int(notice) if notice.isdigit() else None)
    context: dict[str, Any] = {"composed": composed, "problems": problems, "for_notice": for_notice}
    context["scripts"] = await approved_scripts(request)
    if composed is not None:
        context["fields"] = fields_of(composed.script.vars, composed.typed)
        context["preview"] = Markup(
            await fragment(request, "_preview.html", **await preview_context(request, composed))
        )
        context["states"] = [item.value for item in STATES[NoticeKind.INCIDENT]]
        context["audiences"] = [item.value for item in Audience]
        context["statuses"] = [item.value for item in ComponentStatus]
        context["components"] = list(notices_of(request).components.values())
    return await render(request, "compose.html", status=status, **context)


@routes.get("/console/notices/new")
@console_page(PUBLISH)
async def compose(request: web.Request) -> web.Response:
    """``?script=ID`` (and ``notice=ID`` for a new version of a notice)."""
    if not request.query.get("script"):
        return await _compose(request, None, [])
    return await _compose(request, read_form(request, request.query), [])


@routes.post("/console/notices/preview")
@console_page(PUBLISH)
async def preview(request: web.Request) -> web.Response:
    composed = read_form(request, await request.post())
    page = await fragment(request, "_preview.html", **await preview_context(request, composed))
    return web.Response(text=page, content_type="text/html")


@routes.post(r"/console/notices/{how:(draft|publish)}")
@console_page(PUBLISH)
async def keep(request: web.Request) -> web.StreamResponse:
    composed = read_form(request, await request.post())
    notices, who = notices_of(request), principal(request).name
    try:
        draft = composed.draft()
        if request.match_info["how"] == "publish":
            change = await notices.publish_new(draft, author=who, notice_id=composed.notice_id)
        else:
            change = await notices.draft(draft, author=who, notice_id=composed.notice_id)
    except (ScriptError, NoticeError) as error:
        return await _compose(request, composed, error.problems, status=400)
    except NotApproved as error:
        return await _compose(request, composed, [str(error)], status=409)
    await audit(request, notice_change(request.match_info["how"], change))
    raise redirect(f"/console/notices/{change.notice.id}?done={request.match_info['how']}")


def notice_change(verb: str, change: NoticeChange) -> Change:
    version = change.version
    detail = {
        "version": version.number,
        "state": version.state.value,
        "script": version.script_id,
        "content_hash": version.content_hash,
        "vars": dict(version.vars),
        "components": {name: status.value for name, status in version.components.items()},
    }
    return Change(f"notice.{verb}", f"notice:{change.notice.id}", detail)
