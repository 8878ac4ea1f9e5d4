"""The app factory: one aiohttp application per surge instance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from aiohttp import web

from surge.config import Config
from surge.runtime import Runtime, build_runtime
from surge.statuspage.cache import PublicPages
from surge.statuspage.site import Site
from surge.web import (
    alerts,
    api,
    audit,
    banners,
    console,
    health,
    links,
    notices,
    public,
    rota,
    scripts,
    silences,
    subscriptions,
)
from surge.web import customers as affected_customers
from surge.web import report as incident_report
from surge.web.keys import INTAKE, RUNTIME
from surge.web.middleware import auth_middleware, errors_middleware
from surge.web.openapi import route as openapi

MAX_BODY = 1024 * 1024


def create_app(
    config: Config,
    *,
    extra_plugins: Iterable[object] = (),
    load_entry_points: bool = True,
    run_engine: bool = True,
) -> web.Application:
    """Build the app; the store opens and the engine starts when the app starts."""
    state = build_runtime(config, extra_plugins=extra_plugins, load_entry_points=load_entry_points)
    return app_for(state, run_engine=run_engine)


def app_for(state: Runtime, *, run_engine: bool = True) -> web.Application:
    app = web.Application(
        middlewares=[errors_middleware, auth_middleware], client_max_size=MAX_BODY
    )
    app[RUNTIME] = state
    app[INTAKE] = state.triggers.intake
    app.add_routes(health.routes)
    app.add_routes(api.routes)
    app.add_routes(alerts.routes)
    app.add_routes(silences.routes)
    app.add_routes(scripts.routes)
    app.add_routes(audit.routes)
    app.add_routes(openapi.routes)
    app.add_routes(rota.routes)
    app.add_routes(links.routes)
    console.install(app, state)  # /console/: the operator console (not part of the API)
    app.add_routes(subscriptions.routes)
    app.add_routes(affected_customers.routes)
    app.add_routes(incident_report.routes)
    app.add_routes(public.routes)
    app[public.PUBLIC_PAGES] = pages = public_pages(state)
    app.add_routes(notices.routes)
    app.add_routes(banners.routes)
    state.plugins.web_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await state.open()
        if run_engine:
            await state.start()
            await pages.start()
        yield
        await pages.stop()
        await state.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def public_pages(state: Runtime) -> PublicPages:
    """The public pages' cache (``surge.statuspage.cache``), watching the store's revision."""
    config = state.config
    service = state.engine.services.notices
    assert service is not None  # build_runtime always makes it
    return PublicPages(
        service,
        Site.of(config.public_url, config.status_page),
        state.engine.clock,
        export_to=config.status_page.export,
        poll=config.replicas.change_poll,
    )
