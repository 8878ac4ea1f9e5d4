"""Path and query parameters: numbers and record ids, with the 400 or 404 that says why."""

from __future__ import annotations

from aiohttp import web

MAX_ID_DIGITS = 18  # SQLite and PostgreSQL ids are 64-bit


def number(raw: str, problem: str) -> int:
    """A query parameter as an int the store can take (it holds 64 bits), or a 400."""
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(reason=problem) from None
    return max(-(2**63), min(value, 2**63 - 1))


def record_id(request: web.Request, noun: str, name: str = "id") -> int:
    """The path's id of a ``noun`` (incident, silence, …); a 404 when it is no id at all."""
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        raise web.HTTPNotFound(reason=f"no {noun} {raw!r}: {noun} ids are numbers")
    return int(raw)


def one(request: web.Request, name: str, default: str | None = None) -> str | None:
    """A query parameter given at most once; a repeated one is ambiguous, so a 400."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise web.HTTPBadRequest(reason=f"give {name!r} once, not {len(values)} times")
    return values[0] if values else default


def singles(request: web.Request) -> dict[str, str]:
    """Every query parameter, each given at most once (a 400 names those repeated)."""
    repeated = sorted({key for key in request.query if len(request.query.getall(key)) > 1})
    if repeated:
        named = ", ".join(repr(key) for key in repeated)  # repr: a reason holds no newline
        raise web.HTTPBadRequest(reason=f"give each of {named} once")
    return dict(request.query)
