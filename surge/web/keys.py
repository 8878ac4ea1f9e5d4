"""Typed application state."""

from __future__ import annotations

from aiohttp import web

from surge.runtime import Runtime
from surge.triggers.alerts import AlertIntake
from surge.web.auth import Principal

RUNTIME = web.AppKey("runtime", Runtime)
INTAKE = web.AppKey("intake", AlertIntake)
PRINCIPAL = web.RequestKey("principal", Principal)  # set by the auth middleware


def runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def principal(request: web.Request) -> Principal:
    try:
        return request[PRINCIPAL]
    except KeyError:
        raise web.HTTPUnauthorized(reason="sign in with a bearer token") from None
