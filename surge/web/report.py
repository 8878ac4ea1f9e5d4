"""``GET /api/v1/incidents/{id}/report``: the post-incident report, Markdown or HTML.

``?format=md|html`` chooses; without it, an ``Accept`` that asks for text/html (and not
text/markdown) gets HTML, anyone else Markdown. ``?locale=`` picks the headings'
language (default: the playbook's ``report.locale``).
"""

from __future__ import annotations

from aiohttp import web

from surge.report.build import Reports
from surge.report.render import FORMATS, MEDIA_TYPES, Format, render
from surge.roles import READ
from surge.scripts.model import LOCALES
from surge.web.api import INCIDENT_ID
from surge.web.auth import requires
from surge.web.errors import error_response
from surge.web.keys import runtime
from surge.web.openapi import Answer, describe, query
from surge.web.params import one, record_id

routes = web.RouteTableDef()


def _format(request: web.Request) -> Format:
    asked = one(request, "format")
    if asked is not None:
        for fmt in FORMATS:
            if asked == fmt:
                return fmt
        raise web.HTTPBadRequest(reason=f"format must be one of {', '.join(FORMATS)}")
    accept = request.headers.get("Accept", "")
    return "html" if "text/html" in accept and "text/markdown" not in accept else "md"


@routes.get("/api/v1/incidents/{id}/report")
@requires(READ)
@describe(
    "incidents.report",
    "The incident's post-incident report, as Markdown or HTML",
    description="Summary, times to acknowledge, mitigate and resolve, linked incidents, "
    "who was paged, notices and their versions, affected components and customers "
    "(contacts masked), follow-ups for the departments, and the timeline.",
    tags=["incidents"],
    params=[
        INCIDENT_ID,
        query("format", {"enum": list(FORMATS)}, "md or html (default: from Accept)", "html"),
        query("locale", {"enum": list(LOCALES)}, "the headings' language", "en"),
    ],
    responses={
        200: Answer(
            "the report",
            {"type": "string"},
            content_type="text/markdown",
            also=("text/html",),
        ),
        400: "a format or locale that does not exist",
        404: "no such incident",
    },
)
async def incident_report(request: web.Request) -> web.Response:
    incident_id = record_id(request, "incident")
    fmt = _format(request)
    locale = one(request, "locale")
    if locale is not None and locale not in LOCALES:
        raise web.HTTPBadRequest(reason=f"locale must be one of {', '.join(LOCALES)}")
    reports: Reports | None = runtime(request).engine.services.reports
    report = await reports.build(incident_id, locale=locale) if reports is not None else None
    if report is None:
        return error_response(404, f"no incident {incident_id}")
    return web.Response(text=render(report, fmt), headers={"Content-Type": MEDIA_TYPES[fmt]})
