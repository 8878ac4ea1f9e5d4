"""``surge serve``'s access log leaves out the public pages' successful answers (each would
cost as much to log as to answer) and keeps everything else, their errors too."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.test_utils import TestServer

from surge.web.accesslog import SurgeAccessLogger, quiet


@quiet
async def page(request: web.Request) -> web.Response:
    if request.query.get("fail"):
        raise web.HTTPNotFound()
    return web.Response(text="page")


async def api(request: web.Request) -> web.Response:
    return web.Response(text="api")


async def test_quiet_routes_are_logged_only_when_they_fail(aiohttp_client, caplog):
    app = web.Application()
    app.router.add_get("/status", page)
    app.router.add_get("/api", api)
    server = TestServer(app)
    await server.start_server(
        access_log_class=SurgeAccessLogger, access_log=logging.getLogger("aiohttp.access")
    )
    client = await aiohttp_client(server)
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        for path in ("/status", "/status", "/api", "/status?fail=1", "/nowhere"):
            await (await client.get(path)).read()
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert len(lines) == 3, lines
    assert '"GET /api HTTP/1.1" 200' in lines[0]
    assert '"GET /status?fail=1 HTTP/1.1" 404' in lines[1]
    assert '"GET /nowhere HTTP/1.1" 404' in lines[2]
