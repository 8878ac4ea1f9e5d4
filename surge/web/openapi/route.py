"""``GET /openapi.json``: the document, assembled from the running app's router."""

from __future__ import annotations

from aiohttp import web

from surge.web.auth import public
from surge.web.openapi.assemble import document
from surge.web.openapi.declare import Answer, describe

routes = web.RouteTableDef()


@routes.get("/openapi.json")
@public("describes the API; it holds no data")
@describe(
    "openapi",
    "This document: OpenAPI 3.1 for every route of this server",
    tags=["health"],
    responses={200: Answer("the document", {"type": "object"})},
)
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document(request.app))
