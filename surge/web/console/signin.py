"""Signing in and out, the language switch, and the console's own script and style."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from surge.audit.changes import Change
from surge.roles import READ
from surge.web.audit import audit
from surge.web.auth import authenticate, console_open, console_page
from surge.web.console.i18n import LANG_COOKIE
from surge.web.console.render import console_path, redirect, render, words
from surge.web.console.session import COOKIE_PATH
from surge.web.console.state import console_state, current
from surge.web.keys import PRINCIPAL, runtime
from surge.web.locales import LOCALES

routes = web.RouteTableDef()
ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}
MAX_TOKEN = 512


@routes.get("/console/login")
@console_open("the sign-in page: a session starts here")
async def login_page(request: web.Request) -> web.Response:
    if current(request) is not None:
        raise redirect(request.query.get("next", "/console/"))
    notice = ""
    if request.query.get("expired"):
        notice = words(request)("login.expired")
    elif request.query.get("out"):
        notice = words(request)("login.signed_out")
    return await render(
        request, "login.html", notice=notice, problem="", next=_next(request.query.get("next"))
    )


@routes.post("/console/login")
@console_open("signing in: the token in the form is what is checked")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = str(form.get("token", "")).strip()
    target = _next(str(form.get("next", "")))
    state = runtime(request)
    principal = None
    if token and len(token) <= MAX_TOKEN:
        principal = await authenticate(token, state.config.tokens, state.store)
    t = words(request)
    if principal is None or not principal.may(READ):
        problem = (
            t("login.refused") if principal is None else t("login.no_role", role=principal.role)
        )
        return await render(
            request, "login.html", status=401, notice="", problem=problem, next=target
        )
    request[PRINCIPAL] = principal
    response = web.HTTPSeeOther(target)
    await console_state(request).sessions.begin(response, request, principal, token)
    await audit(request, Change("console.sign_in", f"token:{principal.name}"))
    raise response


@routes.post("/console/logout")
@console_page(READ)
async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/console/login?out=1")
    await console_state(request).sessions.end(response, current(request))
    await audit(request, Change("console.sign_out", f"token:{current_name(request)}"))
    raise response


@routes.post("/console/language")
@console_open("choosing the console's language: it changes nothing but a cookie")
async def language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    chosen = str(form.get("lang", ""))
    response = redirect(_next(str(form.get("next", ""))))
    if chosen in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 86400,
            path=COOKIE_PATH,
            samesite="Strict",
            httponly=True,
        )
    raise response


@routes.get("/console/static/{name}")
@console_open("the console's own script and style sheet: they hold no data")
async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound(reason=f"no console file {name!r}")
    body = resources.files("surge.web.console").joinpath("static", name).read_bytes()
    return web.Response(
        body=body,
        content_type=ASSETS[name],
        charset="utf-8",
        headers={"Cache-Control": "max-age=300"},
    )


def _next(target: str | None) -> str:
    return console_path(target or "/console/")


def current_name(request: web.Request) -> str:
    session = current(request)
    return session.principal.name if session else ""
