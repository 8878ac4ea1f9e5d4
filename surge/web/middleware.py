"""The two middlewares every request passes: errors (outer) and auth (inner).

Every error answer is JSON with a reason; nothing unexpected leaks a traceback. A route
marked ``@requires(PERMISSION)`` needs a bearer token whose role holds it; a 403 from
here or from a handler is kept in the audit log as denied. A console page
(``console_page``/``console_open``) goes to the console's gate instead, which reads its
session cookie and CSRF token and answers with pages (surge/web/console/gate.py).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiohttp import web

from surge.store import StoreUnavailable
from surge.web.audit import audit_denied
from surge.web.auth import authenticate, console_access, required_permission
from surge.web.console.gate import console_gate
from surge.web.errors import error_response
from surge.web.keys import PRINCIPAL, runtime

log = logging.getLogger(__name__)


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
        if isinstance(error, web.HTTPForbidden):
            await audit_denied(request, message)
        response = error_response(error.status, message)
        # keep what the client needs to act on, e.g. WWW-Authenticate on 401, Allow on 405
        for name, value in error.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                response.headers.add(name, value)
        return response
    except StoreUnavailable as error:  # disk full, read-only, database gone: not a bug
        log.error("the store refused %s %s: %s", request.method, request.path, error)
        return error_response(
            503, f"the store cannot be used now: {error}; nothing was changed, try again later"
        )
    except Exception:
        reference = uuid.uuid4().hex[:12]
        log.exception(
            "unhandled error (reference %s) in %s %s", reference, request.method, request.path
        )
        return error_response(500, f"internal error; the server log has reference {reference}")


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    console = console_access(request.match_info.handler)
    if console is not None:  # a console page: its session cookie, never a bearer token
        return await console_gate(request, handler, console)
    # every other route: a bearer token or nothing (public); cookies are never looked at
    permission = required_permission(request.match_info.handler)
    if permission is None:  # public route
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
    request[PRINCIPAL] = principal  # before the check, so a denial names who was denied
    if not principal.may(permission):
        needs = ", ".join(permission.holders)
        raise web.HTTPForbidden(reason=f"role {principal.role!r} may not do this; needs: {needs}")
    result: web.StreamResponse = await handler(request)
    return result
