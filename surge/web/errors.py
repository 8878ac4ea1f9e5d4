"""Every error answer is JSON with a reason; nothing unexpected leaks a traceback."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from typing import Any

from aiohttp import web

from surge.web.auth import authenticate, required_roles
from surge.web.keys import PRINCIPAL, runtime

log = logging.getLogger(__name__)


def error_response(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = error.reason or error.text or "error"
        if isinstance(error, web.HTTPRequestEntityTooLarge):
            message = f"the request body is too large: {error.text}"
        response = error_response(error.status, message)
        # keep what the client needs to act on, e.g. WWW-Authenticate on 401, Allow on 405
        for name, value in error.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                response.headers.add(name, value)
        return response
    except sqlite3.OperationalError as error:  # disk full, read-only, locked: not a bug
        log.error("the store refused %s %s: %s", request.method, request.path, error)
        return error_response(
            503, f"the store cannot be written: {error}; nothing was changed, try again later"
        )
    except Exception:
        reference = uuid.uuid4().hex[:12]
        log.exception(
            "unhandled error (reference %s) in %s %s", reference, request.method, request.path
        )
        return error_response(500, f"internal error; the server log has reference {reference}")


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    roles = required_roles(request.match_info.handler)
    if roles is None:  # public route
        response: web.StreamResponse = await handler(request)
        return response
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise web.HTTPUnauthorized(
            reason="missing bearer token: send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state = runtime(request)
    principal = await authenticate(token.strip(), state.config.tokens, state.store)
    if principal is None:
        raise web.HTTPUnauthorized(
            reason="unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    if not principal.has(roles):
        raise web.HTTPForbidden(
            reason=f"role {principal.role!r} may not do this; needs one of: {', '.join(roles)}"
        )
    request[PRINCIPAL] = principal
    result: web.StreamResponse = await handler(request)
    return result


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant)
        # a lone surrogate (\ud800) is valid JSON but no text the store can keep
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise web.HTTPBadRequest(
            reason="the body holds a lone UTF-16 surrogate "
            "(a \\uD800-\\uDFFF escape without its pair)"
        ) from None
    except RecursionError:
        raise web.HTTPBadRequest(reason="the body is nested too deeply") from None
    except ValueError as error:  # also bad UTF-8 and integers too long to convert
        raise web.HTTPBadRequest(reason=f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="the body must be a JSON object")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
