"""Pages: a template with what every page shows (words, who is signed in, the CSRF
token of its forms, the menu), and the headers that keep a page from being framed,
cached or fed a script from elsewhere."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from aiohttp import web
from markupsafe import Markup

from surge.roles import AUDIT, PUBLISH, READ, TRIGGER, Permission
from surge.web.console.i18n import LANGUAGE_NAMES, Words
from surge.web.console.state import LOCALE, console_state, current
from surge.web.locales import LOCALES

# no inline script or style, nothing from another origin, no framing
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
MENU: tuple[tuple[str, str, Permission], ...] = (
    ("/console/", "nav.incidents", READ),
    ("/console/trigger", "nav.trigger", TRIGGER),
    ("/console/overview", "nav.overview", READ),
    ("/console/notices", "nav.notices", PUBLISH),
    ("/console/audit", "nav.audit", AUDIT),
)


def words(request: web.Request) -> Words:
    return Words(request.get(LOCALE, "en"))


def when(value: datetime | None) -> str:
    """A time as people read it in a table: UTC, to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


async def fragment(request: web.Request, template: str, **context: Any) -> str:
    """A template rendered with what every page has: ``t`` (words), ``principal``,
    ``csrf`` (the token of its forms), ``menu``, ``path``, ``when`` (a time shown)."""
    state = console_state(request)
    session = current(request)
    principal = session.principal if session else None
    menu = [
        (href, key) for href, key, permission in MENU if principal and principal.may(permission)
    ]
    return state.templates.get_template(template).render(
        t=words(request),
        locale=request.get(LOCALE, "en"),
        locales=[(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        principal=principal,
        csrf=await state.sessions.csrf_token(request, session),
        menu=menu,
        path=request.path_qs,
        when=when,
        **context,
    )


async def part(request: web.Request, template: str, **context: Any) -> tuple[Markup, str]:
    """A fragment a live page also receives, and its digest: the page sends the digest
    back when it connects, and the stream sends the fragment only once it differs."""
    html = await fragment(request, template, **context)
    return Markup(html), digest(html)


def digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]


async def render(
    request: web.Request, template: str, status: int = 200, **context: Any
) -> web.Response:
    page = await fragment(request, template, **context)
    return web.Response(text=page, status=status, content_type="text/html")


def redirect(target: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(console_path(target))


def console_path(target: str) -> str:
    """A page of this console to go to, never another site: a ``next`` given from outside
    that is not one becomes the incidents list."""
    odd = any(ord(char) < 0x20 or char == "\\" for char in target) or len(target) > 2000
    if odd or not target.startswith("/console/") or target.startswith("//"):
        return "/console/"
    return target


def secure(response: web.StreamResponse) -> None:
    if response.prepared:
        return
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
