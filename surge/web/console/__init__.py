"""The operator console at ``/console/``: server-rendered pages (Jinja2, autoescaped)
with a little JavaScript for live updates, for on-call leads and comms staff.

People sign in with their API token and get a session cookie (``session``); every page
and form goes through ``gate`` (the session, CSRF, the role's permission, pages for
refusals). The console's routes are no API: they are not in /openapi.json, and each is
marked ``console_page(PERMISSION)`` or ``console_open(WHY)`` (surge.web.auth).
"""

from __future__ import annotations

from aiohttp import web

from surge.runtime import Runtime
from surge.web.auth import console_open
from surge.web.console import (
    auditlog,
    composer,
    incidents,
    live,
    noticepages,
    overview,
    signin,
    trigger,
)
from surge.web.console.session import Sessions
from surge.web.console.state import CONSOLE, ConsoleState, make_templates

ROUTES = (
    signin.routes,
    incidents.routes,
    live.routes,
    trigger.routes,
    overview.routes,
    auditlog.routes,
    composer.routes,
    noticepages.routes,
)


@console_open("a redirect to /console/")
async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/console/")


def install(app: web.Application, state: Runtime) -> None:
    """Add the console to ``app`` (``surge.web.app`` does, for every surge server)."""
    app[CONSOLE] = ConsoleState(
        Sessions(state.config, state.store, state.engine.clock), make_templates()
    )
    for table in ROUTES:
        app.add_routes(table)
    app.router.add_get("/console", _to_console)

    async def stop_streams(app: web.Application) -> None:
        app[CONSOLE].stopping.set()  # live pages end, so the server stops at once

    app.on_shutdown.append(stop_streams)
