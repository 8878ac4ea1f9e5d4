"""The audit log over HTTP: who a request is (``actor``), the one call a handler makes
after a change (``audit``), denied attempts, and ``GET /api/v1/audit`` for admins."""

from __future__ import annotations

import logging

from aiohttp import web

from surge import serialize
from surge.audit.actor import Actor, http_actor
from surge.audit.changes import Change
from surge.audit.query import QueryError, parse_query
from surge.roles import AUDIT
from surge.store.records import AuditOutcome
from surge.web.auth import requires
from surge.web.errors import error_response
from surge.web.keys import PRINCIPAL, principal, runtime
from surge.web.openapi import Answer, describe, operation_of, query
from surge.web.params import singles
from surge.web.schemas import AUDIT_ENTRY, TEXT, record

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_TARGET = 200  # characters of a denied request's path kept as its target


def actor(request: web.Request, name: str | None = None, role: str | None = None) -> Actor:
    """The caller, from its address (``X-Forwarded-For`` only from a trusted proxy, see
    ``audit.trusted_proxies``): the bearer token's name and role, or, on a public route
    that verified its caller another way (a chat tool's signature), the ``name`` and
    ``role`` given."""
    if name is None:
        caller = principal(request)
        name, role = caller.name, caller.role
    return http_actor(
        name,
        role or "",
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        runtime(request).config.audit.trusted_proxies,
    )


async def audit(
    request: web.Request,
    change: Change,
    outcome: AuditOutcome = AuditOutcome.OK,
    *,
    who: Actor | None = None,
) -> None:
    """Record what this request changed, as ``who`` (default: the token's ``actor``).

    The change is made already: a store that cannot take the entry is logged as an
    error rather than turned into a failed answer."""
    caller = who or actor(request)
    try:
        await runtime(request).audit.record(caller, change, outcome)
    except Exception:
        log.exception("could not record %s by %s in the audit log", change, caller.name)


async def audit_denied(request: web.Request, reason: str) -> None:
    """A caller with a valid token asked for what its role may not do (403)."""
    if PRINCIPAL not in request:  # no valid token: anyone can send those, so no entry
        return
    operation = operation_of(request.match_info.handler)
    route = request.match_info.route.resource
    where = route.canonical if route is not None else request.path
    action = operation.id if operation else f"{request.method} {where}"
    detail = {"method": request.method, "reason": reason}
    change = Change(action, request.path[:MAX_TARGET], detail)
    await audit(request, change, AuditOutcome.DENIED)


PAGE = record(
    {
        "entries": {"type": "array", "items": AUDIT_ENTRY},
        "next_before": {
            "type": ["integer", "null"],
            "description": "pass as `before` for the next (older) page; null on the last",
        },
    }
)


@routes.get("/api/v1/audit")
@requires(AUDIT)
@describe(
    "audit.list",
    "The audit log, newest first",
    description="Every change made through the API or the CLI on the store, and every "
    "attempt a role was denied. Filters combine; page with `before`.",
    tags=["audit"],
    params=[
        query("actor", TEXT, "only this token's name, or cli:USER", "alice"),
        query("action", TEXT, "only this action; ending in `*`, a prefix", "incident.*"),
        query("target", TEXT, "only this target, e.g. incident:7"),
        query("outcome", {"enum": [item.value for item in AuditOutcome]}, "ok or denied"),
        query("address", TEXT, "only requests from this client address"),
        query("since", {"type": "string", "format": "date-time"}, "at or after this time"),
        query("until", {"type": "string", "format": "date-time"}, "before this time"),
        query("before", {"type": "integer", "minimum": 0}, "only entries with a smaller id"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "default 100"),
    ],
    responses={
        200: Answer("entries, newest first", PAGE),
        400: "a filter is not valid (`problems` lists each)",
    },
)
async def list_audit(request: web.Request) -> web.Response:
    try:
        wanted = parse_query(singles(request))
    except QueryError as error:
        return error_response(400, "invalid filters", problems=error.problems)
    found = await runtime(request).audit.entries(wanted)
    more = len(found) == wanted.limit
    return web.json_response(
        {
            "entries": [serialize.audit_entry(item) for item in found],
            "next_before": found[-1].id if more and found else None,
        }
    )
