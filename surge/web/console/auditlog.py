"""The audit log for admins: the same filters and paging as ``GET /api/v1/audit``."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from aiohttp import web

from surge.audit.query import QueryError, parse_query
from surge.roles import AUDIT
from surge.store.records import AuditOutcome
from surge.web.auth import console_page
from surge.web.console.render import render
from surge.web.keys import runtime

routes = web.RouteTableDef()
FORM_FILTERS = ("actor", "action", "target", "outcome")
PAGE = 50


@routes.get("/console/audit")
@console_page(AUDIT)
async def audit_page(request: web.Request) -> web.Response:
    given = {key: value for key, value in request.query.items() if value.strip()}
    problems: list[str] = []
    entries = []
    try:
        wanted = parse_query({"limit": str(PAGE), **given})
    except QueryError as error:
        problems = error.problems
    else:
        entries = await runtime(request).audit.entries(wanted)
    older = ""
    if len(entries) == PAGE:  # maybe more: the next page, the same filters
        kept = {key: value for key, value in given.items() if key != "before"}
        older = "/console/audit?" + urlencode({**kept, "before": entries[-1].id})
    return await render(
        request,
        "audit.html",
        status=400 if problems else 200,
        entries=entries,
        problems=problems,
        filters={key: given.get(key, "") for key in FORM_FILTERS},
        outcomes=[item.value for item in AuditOutcome],
        older=older,
        detail=lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True),
    )
