"""The public side: ``/status``, Statuspage's ``/api/v2/*.json``, ``/history.atom``,
``/banner.json`` and ``/banner.js``.

Every answer is bytes rendered when something was published (``surge.statuspage.cache``):
a handler picks a file from the snapshot in memory and compares ETags, nothing more. So a
traffic peak of customers reloading the page costs surge no store read and no rendering.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from surge.statuspage import schemas
from surge.statuspage.cache import PublicPages
from surge.statuspage.files import File
from surge.statuspage.locale import LOCALES, known, negotiate
from surge.statuspage.snapshot import (
    ATOM_FEED,
    BANNER_JS,
    BANNER_JSON,
    STATUS_PAGE,
    variant,
)
from surge.web.accesslog import quiet
from surge.web.auth import public
from surge.web.openapi import Answer, describe, query

PUBLIC_PAGES = web.AppKey("public_pages", PublicPages)
routes = web.RouteTableDef()
WHY = "customers read the status page; it shows only what was published for them"
LANG = query(
    "lang",
    {"type": "string"},
    "zh-CN, zh-TW or en; any other (or none) gives the page's own locale",
    "zh-CN",
)
_HEADERS = {
    "ETag": "the body's ETag; send it back in If-None-Match",
    "Cache-Control": "how long the answer may be kept without asking again",
}
_NOT_MODIFIED = Answer("unchanged since the ETag in If-None-Match", None, headers=_HEADERS)
_TAGS = ["status page"]


def _answers(description: str, schema: Any, content_type: str) -> dict[int, Answer | str]:
    return {
        200: Answer(description, schema, content_type, headers=_HEADERS),
        304: _NOT_MODIFIED,
        503: "the store could not be read to build the first snapshot",
    }


async def _serve(request: web.Request, path: str, *, negotiated: bool = False) -> web.Response:
    pages = request.app[PUBLIC_PAGES]
    snapshot = pages.snapshot or await pages.current()
    chosen = known(request.query.get("lang", "")) if request.query_string else None
    if chosen is not None:
        path = variant(path, chosen) if variant(path, chosen) in snapshot.files else path
    elif negotiated:
        path = _negotiated(request, path)
    file: File = snapshot.files[path]
    if file.fresh(request.headers.get("If-None-Match")):
        return web.Response(status=304, headers=file.headers)
    return web.Response(body=file.body, headers=file.headers)


def _negotiated(request: web.Request, path: str) -> str:
    header = request.headers.get("Accept-Language")
    if not header:
        return path
    return variant(path, negotiate(None, header, _default(request)))


def _default(request: web.Request) -> str:
    return request.app[PUBLIC_PAGES].site.settings.locale


@routes.get("/status")
@public(WHY)
@describe(
    "status.page",
    "The status page, as HTML in the reader's language",
    description="The locale is `?lang=`, else the best match of Accept-Language among "
    f"{', '.join(LOCALES)}, else the page's own. No script, no external asset.",
    tags=_TAGS,
    params=[LANG],
    responses=_answers("the page", {"type": "string"}, "text/html"),
)
@quiet
async def status_page(request: web.Request) -> web.Response:
    return await _serve(request, STATUS_PAGE, negotiated=True)


def _statuspage_route(path: str, operation: str, summary: str, schema: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return await _serve(request, path)

    handler.__name__ = handler.__qualname__ = operation.replace(".", "_")
    decorated = describe(
        operation,
        summary,
        description="Atlassian Statuspage's public API, field for field, so widgets and "
        "monitors made for Statuspage read it. CORS: any origin.",
        tags=_TAGS,
        params=[LANG],
        responses=_answers(summary, schema, "application/json"),
    )(public(WHY)(quiet(handler)))
    routes.get(f"/{path}")(decorated)


_statuspage_route(
    "api/v2/summary.json",
    "statuspage.summary",
    "Status, components, unresolved incidents, upcoming and in-progress maintenance",
    schemas.SUMMARY,
)
_statuspage_route(
    "api/v2/status.json", "statuspage.status", "The overall status", schemas.STATUS_FILE
)
_statuspage_route(
    "api/v2/components.json", "statuspage.components", "Every component", schemas.COMPONENTS_FILE
)
_statuspage_route(
    "api/v2/incidents.json",
    "statuspage.incidents",
    "The most recent incidents (at most 50), open and resolved",
    schemas.INCIDENTS_FILE,
)
_statuspage_route(
    "api/v2/incidents/unresolved.json",
    "statuspage.unresolved",
    "The incidents not resolved yet",
    schemas.INCIDENTS_FILE,
)
_statuspage_route(
    "api/v2/scheduled-maintenances.json",
    "statuspage.maintenances",
    "The most recent scheduled maintenance (at most 50)",
    schemas.MAINTENANCES_FILE,
)


@routes.get("/history.atom")
@public(WHY)
@describe(
    "status.history",
    "The notices of the last days as an Atom feed",
    tags=_TAGS,
    params=[LANG],
    responses=_answers("the feed", {"type": "string"}, "application/atom+xml"),
)
@quiet
async def history(request: web.Request) -> web.Response:
    return await _serve(request, ATOM_FEED)


@routes.get("/banner.json")
@public(WHY)
@describe(
    "status.banner",
    "The active banner in every locale, or null",
    description="What a website or app shows at the top of its pages; `banner.js` reads it. "
    "CORS: any origin.",
    tags=_TAGS,
    responses=_answers("the banner", schemas.BANNER_FILE, "application/json"),
)
@quiet
async def banner(request: web.Request) -> web.Response:
    return await _serve(request, BANNER_JSON)


@routes.get("/banner.js")
@public(WHY)
@describe(
    "status.banner_script",
    "A small script that shows the banner on the page that embeds it",
    description='`<script src="https://STATUS-HOST/banner.js" async></script>`; see '
    "docs/notices.md for its options.",
    tags=_TAGS,
    responses=_answers("the script", {"type": "string"}, "text/javascript"),
)
@quiet
async def banner_script(request: web.Request) -> web.Response:
    return await _serve(request, BANNER_JS)
