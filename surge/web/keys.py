"""Typed application state."""

from __future__ import annotations

from aiohttp import web

from surge.runtime import Runtime
from surge.web.auth import Principal

RUNTIME = web.AppKey("runtime", Runtime)
PRINCIPAL = "surge.principal"  # request key set by the auth middleware


def runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def principal(request: web.Request) -> Principal:
    found = request.get(PRINCIPAL)
    if not isinstance(found, Principal):
        raise web.HTTPUnauthorized(reason="sign in with a bearer token")
    return found
