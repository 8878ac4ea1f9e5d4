"""``/api/v1/banners``: the banner on the website and in the app, by hand (playbooks use
``banner.show`` and ``banner.clear``). Reading needs ``read``; showing and clearing,
``publish``. The public ``/banner.json`` shows the active one."""

from __future__ import annotations

from aiohttp import web

from surge.notices.model import Severity
from surge.roles import PUBLISH, READ
from surge.web.auth import requires
from surge.web.errors import json_body
from surge.web.keys import principal
from surge.web.notices import PER_LOCALE, VARS, changed, ops_of
from surge.web.openapi import Answer, Body, Schema, describe
from surge.web.schemas import ID, MAYBE_TIME, TEXT, TIME, record

routes = web.RouteTableDef()

BANNER = Schema(
    "BannerRecord",
    record(
        {
            "id": ID,
            "script": TEXT,
            "text": PER_LOCALE,
            "severity": {"enum": [item.value for item in Severity]},
            "link": TEXT,
            "shown_by": TEXT,
            "shown_at": TIME,
            "expires_at": MAYBE_TIME,
            "cleared_by": TEXT,
            "cleared_at": MAYBE_TIME,
            "incident": {"type": ["integer", "null"]},
        },
        "A banner for the website and the app, rendered from an approved script.",
    ),
)


@routes.get("/api/v1/banners")
@requires(READ)
@describe(
    "banners.list",
    "The banner shown now, and the latest banners, newest first",
    tags=["notices"],
    responses={
        200: Answer(
            "banners",
            record(
                {
                    "active": {"oneOf": [BANNER, {"type": "null"}]},
                    "banners": {"type": "array", "items": BANNER},
                }
            ),
        )
    },
)
async def list_banners(request: web.Request) -> web.Response:
    return web.json_response(await ops_of(request).banners())


@routes.post("/api/v1/banners")
@requires(PUBLISH)
@describe(
    "banners.show",
    "Show a banner on the website and in the app",
    description="Rendered from an approved script in every locale it has; the newest banner "
    "not cleared or expired is the one shown.",
    tags=["notices"],
    body=Body(
        {
            "type": "object",
            "required": ["script"],
            "properties": {
                "script": {**TEXT, "description": "an approved script's id"},
                "vars": VARS,
                "severity": {"enum": [item.value for item in Severity]},
                "link": {**TEXT, "description": "an http(s) URL or a path such as /help"},
                "expires": {**TEXT, "description": "hide it after this long, e.g. 2h"},
            },
            "additionalProperties": False,
        },
        "the banner",
        required=True,
        example={
            "script": "traffic-banner",
            "vars": {"self_service": "https://help.example.com"},
            "severity": "warning",
            "link": "/help",
            "expires": "2h",
        },
    ),
    responses={
        201: Answer("the banner", BANNER),
        400: "the body makes no banner (`problems`)",
        409: "the script is not approved as it is now",
    },
)
async def show_banner(request: web.Request) -> web.Response:
    body = await json_body(request)
    return await changed(request, ops_of(request).show_banner(body, principal(request).name), 201)


@routes.delete("/api/v1/banners")
@requires(PUBLISH)
@describe(
    "banners.clear",
    "Clear every banner shown now",
    tags=["notices"],
    responses={
        200: Answer("the banners cleared", record({"cleared": {"type": "array", "items": ID}}))
    },
)
async def clear_banners(request: web.Request) -> web.Response:
    return await changed(request, ops_of(request).clear_banner(principal(request).name), 200)
