"""The console's side of the auth middleware: a page is reached with the session cookie
of a console sign-in (never a bearer token), its forms with their CSRF token, and every
refusal is a page in the reader's language rather than JSON.

``surge.web.middleware.auth_middleware`` hands every handler marked ``console_page`` or
``console_open`` (surge.web.auth) to ``console_gate``; /api routes never look at cookies.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from surge.web.audit import audit_denied
from surge.web.auth import ConsoleAccess
from surge.web.console.i18n import request_locale
from surge.web.console.render import render, secure, words
from surge.web.console.session import COOKIE_PATH, SESSION_COOKIE, SecretMissing
from surge.web.console.state import CURRENT, LOCALE, console_state
from surge.web.keys import PRINCIPAL

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_FORM = 64 * 1024


class CsrfRefused(web.HTTPForbidden):
    """A form without this console's token for the session (or sent from elsewhere)."""


async def console_gate(
    request: web.Request, handler: Any, access: ConsoleAccess
) -> web.StreamResponse:
    request[LOCALE] = request_locale(request)
    state = console_state(request)
    try:
        response: web.StreamResponse = await _admit(request, handler, access)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        response = await _refusal(request, error)
    except SecretMissing as error:  # no page can be signed: say so plainly
        response = web.Response(status=503, text=f"The console cannot start: {error}.")
        secure(response)
        return response
    await state.sessions.keep_nonce(request, response)
    secure(response)
    return response


async def _admit(request: web.Request, handler: Any, access: ConsoleAccess) -> web.StreamResponse:
    sessions = console_state(request).sessions
    session = await sessions.current(request)
    if session is not None:
        request[CURRENT] = session
        request[PRINCIPAL] = session.principal
    if access.permission is not None and session is None:
        return _to_sign_in(request)
    if request.method not in SAFE_METHODS:
        await _check_form(request)
    permission = access.permission
    if permission is not None and session is not None and not session.principal.may(permission):
        needs = ", ".join(permission.holders)
        raise web.HTTPForbidden(
            reason=f"role {session.principal.role!r} may not do this; needs: {needs}"
        )
    response: web.StreamResponse = await handler(request)
    return response


def _to_sign_in(request: web.Request) -> web.StreamResponse:
    """No valid session: pages go to the sign-in (saying when one expired), the rest 401."""
    expired = SESSION_COOKIE in request.cookies
    if request.method != "GET" or request.headers.get("Accept") == "text/event-stream":
        raise web.HTTPUnauthorized(reason="sign in to the console first")
    target = "/console/login?next=" + quote(request.path_qs, safe="")
    if expired:
        target += "&expired=1"
    response = web.HTTPSeeOther(target)
    if expired:
        response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    raise response


async def _check_form(request: web.Request) -> None:
    """A change must come from a form of this console: same origin, and its token."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise CsrfRefused(reason=f"the form was sent from {origin!r}, not this console")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRefused(reason="the form was sent from another site")
    if (request.content_length or 0) > MAX_FORM:
        raise web.HTTPRequestEntityTooLarge(MAX_FORM, request.content_length or 0)
    form = await request.post()
    sent = form.get("csrf")
    sessions = console_state(request).sessions
    session = request.get(CURRENT)
    if not isinstance(sent, str) or not await sessions.form_is_genuine(request, session, sent):
        raise CsrfRefused(reason="the form's CSRF token is missing or not this session's")


async def _refusal(request: web.Request, error: web.HTTPException) -> web.Response:
    t = words(request)
    message = error.reason or "error"
    if isinstance(error, CsrfRefused):
        message = t("error.csrf")
    elif error.status == 403:
        message = t("error.403")
    elif error.status == 404:
        message = t("error.404")
    if error.status == 403 and PRINCIPAL in request:
        await audit_denied(request, error.reason or "forbidden")
    return await render(request, "error.html", status=error.status, message=message)
