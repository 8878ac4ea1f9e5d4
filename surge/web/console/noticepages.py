"""The notices list and one notice's page: its versions in every locale, drafts waiting
to be published (with the button for those whose role may), and a new version."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from surge.notices.model import NoticeConflict, in_locale
from surge.roles import PUBLISH
from surge.web.audit import audit
from surge.web.auth import console_page
from surge.web.console.composer import notice_change, notices_of
from surge.web.console.render import redirect, render, words
from surge.web.console.state import LOCALE
from surge.web.keys import principal, runtime
from surge.web.params import record_id

routes = web.RouteTableDef()
LIST_LIMIT = 100


@routes.get("/console/notices")
@console_page(PUBLISH)
async def notices_page(request: web.Request) -> web.Response:
    notices = await runtime(request).store.notices(limit=LIST_LIMIT)
    return await render(request, "notices.html", notices=notices, title=_title(request))


def _title(request: web.Request) -> Any:
    locale = request.get(LOCALE, "en")
    return lambda texts: in_locale(texts, locale)


async def _notice(request: web.Request, status: int = 200, problem: str = "") -> web.Response:
    notice_id = record_id(request, "notice")
    service = notices_of(request)
    notice = await service.get(notice_id)
    if notice is None:
        raise web.HTTPNotFound(reason=f"no notice {notice_id}")
    versions = list(reversed(await service.versions(notice_id)))
    done = request.query.get("done", "")
    notice_text = words(request)(f"notice.done.{done}") if done in ("draft", "publish") else ""
    return await render(
        request,
        "notice.html",
        status=status,
        notice=notice,
        versions=versions,
        title=_title(request),
        notice_text=notice_text,
        problem=problem,
    )


@routes.get("/console/notices/{id}")
@console_page(PUBLISH)
async def notice_page(request: web.Request) -> web.Response:
    return await _notice(request)


@routes.post("/console/notices/{id}/versions/{number}/publish")
@console_page(PUBLISH)
async def publish_draft(request: web.Request) -> web.StreamResponse:
    notice_id = record_id(request, "notice")
    number = record_id(request, "version", "number")
    try:
        change = await notices_of(request).publish(notice_id, number, by=principal(request).name)
    except NoticeConflict as error:
        return await _notice(request, status=409, problem=str(error))
    await audit(request, notice_change("publish", change))
    raise redirect(f"/console/notices/{notice_id}?done=publish")
