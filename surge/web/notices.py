"""``/api/v1/notices`` and ``/api/v1/components``: status notices and components by hand.

Reading needs ``read``; drafting, publishing, updating, resolving and setting a component's
status need ``publish`` (comms and admin). Every change is audited with its author. The
work is ``surge.notices.operations``, which the CLI runs on the store as well.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web

from surge.notices.model import (
    Audience,
    ComponentStatus,
    Impact,
    NoticeConflict,
    NoticeKind,
    NoticeState,
    VersionStatus,
)
from surge.notices.operations import Changed, NotFound, NoticeOps
from surge.notices.service import NoticeError
from surge.roles import PUBLISH, READ
from surge.scripts.approval import NotApproved
from surge.scripts.model import LOCALES
from surge.scripts.rules import ScriptError
from surge.web.audit import audit
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import principal, runtime
from surge.web.openapi import Answer, Body, Schema, describe, path, query
from surge.web.params import record_id
from surge.web.schemas import ID, MAYBE_TIME, OBJECT, TEXT, TIME, record

T = TypeVar("T")
routes = web.RouteTableDef()
PER_LOCALE = {
    "type": "object",
    "description": "text per locale (zh-CN, zh-TW, en)",
    "propertyNames": {"enum": list(LOCALES)},
    "additionalProperties": TEXT,
}
STATUSES = {"type": "object", "description": "component id: status",
            "additionalProperties": {"enum": [item.value for item in ComponentStatus]}}  # fmt: skip
NOTICE = Schema(
    "Notice",
    record(
        {
            "id": ID,
            "kind": {"enum": [item.value for item in NoticeKind]},
            "audience": {"enum": [item.value for item in Audience]},
            "impact": {"enum": [item.value for item in Impact]},
            "state": {"enum": [item.value for item in NoticeState]},
            "components": STATUSES,
            "incident": {"type": ["integer", "null"]},
            "title": PER_LOCALE,
            "window": {
                "type": ["object", "null"],
                "description": "maintenance: starts_at, ends_at",
            },
            "created_by": TEXT,
            "created_at": TIME,
            "updated_at": TIME,
            "published_at": {**MAYBE_TIME, "description": "null while only drafts exist"},
            "resolved_at": MAYBE_TIME,
        },
        "A status notice: an incident or a scheduled maintenance, as its latest published "
        "version left it.",
    ),
)
VERSION = Schema(
    "NoticeVersion",
    record(
        {
            "notice": ID,
            "number": {"type": "integer", "minimum": 1},
            "status": {"enum": [item.value for item in VersionStatus]},
            "state": {"enum": [item.value for item in NoticeState]},
            "impact": {"enum": [item.value for item in Impact]},
            "components": STATUSES,
            "script": TEXT,
            "content_hash": {**TEXT, "description": "of the approved script it was rendered from"},
            "vars": OBJECT,
            "title": PER_LOCALE,
            "body": PER_LOCALE,
            "author": TEXT,
            "at": TIME,
            "published_by": TEXT,
            "published_at": MAYBE_TIME,
        },
        "One version of a notice, rendered from an approved script.",
    ),
)
CHANGED = record({"notice": NOTICE, "version": VERSION, "created": {"type": "boolean"}})
COMPONENT = Schema(
    "Component",
    record(
        {
            "id": TEXT,
            "name": PER_LOCALE,
            "group": {"type": ["object", "null"], "description": "id and name per locale"},
            "description": PER_LOCALE,
            "status": {"enum": [item.value for item in ComponentStatus]},
            "updated_at": TIME,
            "updated_by": TEXT,
        },
        "A component customers know by name, with its status now.",
    ),
)
VARS = {"type": "object", "description": "the script's variables: values, never templates"}
_CHOICE = {
    "state": {"enum": [item.value for item in NoticeState]},
    "impact": {"enum": [item.value for item in Impact]},
}
_VERSION_PROPERTIES: dict[str, Any] = {
    "script": {**TEXT, "description": "an approved script's id"},
    "vars": VARS,
    **_CHOICE,
    "components": STATUSES,
    "draft": {"type": "boolean", "description": "keep it as a draft (default: publish)"},
}
VERSION_BODY = {
    "type": "object",
    "required": ["script"],
    "properties": _VERSION_PROPERTIES,
    "additionalProperties": False,
}
NEW_BODY = {
    **VERSION_BODY,
    "properties": {
        **_VERSION_PROPERTIES,
        "kind": {"enum": [item.value for item in NoticeKind]},
        "audience": {"enum": [item.value for item in Audience]},
        "incident": {**ID, "description": "the incident it belongs to"},
        "window": {
            "type": "object",
            "required": ["starts_at", "ends_at"],
            "properties": {"starts_at": TIME, "ends_at": TIME},
            "additionalProperties": False,
            "description": "a maintenance's window",
        },
    },
}
RESOLVE_BODY = {
    "type": "object",
    "required": ["script"],
    "properties": {
        "script": {**TEXT, "description": "an approved script's id"},
        "vars": VARS,
        "components": STATUSES,
        "impact": _CHOICE["impact"],
    },
    "additionalProperties": False,
}
NOTICE_ID = path("id", ID, "the notice's id", 1)
EXAMPLE = {
    "script": "outage-initial",
    "components": {"web-chat": "major_outage"},
    "vars": {"service": "在线客服", "impact": "无法发起会话", "eta": "15:30",
             "workaround": "拨打热线400-820-8820"},
}  # fmt: skip
CHANGE_ERRORS = {
    400: "the body makes no version (`problems` lists each reason: vars, a broken rule, …)",
    404: "no such notice",
    409: "the script is not approved as it is now, or the draft cannot be published",
}


def ops_of(request: web.Request) -> NoticeOps:
    notices = runtime(request).engine.services.notices
    assert notices is not None  # the runtime always sets it
    return NoticeOps(notices)


async def _answered(call: Awaitable[T]) -> T | web.Response:
    try:
        return await call
    except (NoticeError, ScriptError) as error:
        return error_response(400, "invalid notice", problems=error.problems)
    except NotFound as error:
        return error_response(404, str(error))
    except (NoticeConflict, NotApproved) as error:
        return error_response(409, str(error))


async def changed(request: web.Request, call: Awaitable[Changed], status: int) -> web.Response:
    found = await _answered(call)
    if isinstance(found, web.Response):
        return found
    shown, change = found
    await audit(request, change)
    return web.json_response(shown, status=status)


@routes.get("/api/v1/notices")
@requires(READ)
@describe(
    "notices.list",
    "Notices, newest first",
    tags=["notices"],
    params=[
        query("kind", {"enum": [item.value for item in NoticeKind]}, "only this kind"),
        query("audience", {"enum": [item.value for item in Audience]}, "only this audience"),
        query("open", {"enum": ["true", "false"]}, "only those not resolved or completed"),
        query("incident", ID, "only this incident's"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "default 100"),
    ],
    responses={
        200: Answer("notices", record({"notices": {"type": "array", "items": NOTICE}})),
        400: "a filter is not valid (`problems` lists each)",
    },
)
async def list_notices(request: web.Request) -> web.Response:
    found = await _answered(ops_of(request).list(dict(request.query)))
    return found if isinstance(found, web.Response) else web.json_response(found)


@routes.get("/api/v1/notices/{id}")
@requires(READ)
@describe(
    "notices.show",
    "A notice with every version, drafts too, oldest first",
    tags=["notices"],
    params=[NOTICE_ID],
    responses={
        200: Answer(
            "the notice",
            {"allOf": [NOTICE, record({"versions": {"type": "array", "items": VERSION}})]},
        ),
        404: "no such notice",
    },
)
async def show_notice(request: web.Request) -> web.Response:
    found = await _answered(ops_of(request).show(record_id(request, "notice")))
    return found if isinstance(found, web.Response) else web.json_response(found)


@routes.post("/api/v1/notices/preview")
@requires(READ)
@describe(
    "notices.preview",
    "Render an approved script in every locale, with each rule the texts break",
    description="Nothing is kept. A text that breaks a rule is shown with the violation's "
    "span, so it can be fixed before it is drafted.",
    tags=["notices"],
    body=Body(
        {
            "type": "object",
            "required": ["script"],
            "properties": {"script": TEXT, "vars": VARS},
            "additionalProperties": False,
        },
        "the script and its variables",
        required=True,
        example={"script": EXAMPLE["script"], "vars": EXAMPLE["vars"]},
    ),
    responses={
        200: Answer(
            "the texts per locale",
            record(
                {
                    "script": TEXT,
                    "content_hash": TEXT,
                    "vars": OBJECT,
                    "ok": {"type": "boolean", "description": "no text breaks a rule"},
                    "locales": {"type": "array", "items": OBJECT},
                }
            ),
        ),
        400: "vars that do not fit the script (`problems`)",
        409: "the script is not approved as it is now",
    },
    changes=False,
)
async def preview_notice(request: web.Request) -> web.Response:
    body = await json_body(request)
    found = await _answered(ops_of(request).preview(body))
    return found if isinstance(found, web.Response) else web.json_response(found)


@routes.post("/api/v1/notices")
@requires(PUBLISH)
@describe(
    "notices.create",
    "Publish a new notice (or keep it as a draft), or a scheduled maintenance",
    description="Rendered from an approved script. A maintenance (`kind: maintenance`) needs "
    "its `window`. With `draft: true` nothing is public until the draft is published.",
    tags=["notices"],
    body=Body(NEW_BODY, "the notice's first version", required=True, example=EXAMPLE),
    responses={201: Answer("the notice and its first version", CHANGED), **CHANGE_ERRORS},
)
async def create_notice(request: web.Request) -> web.Response:
    body = await json_body(request)
    return await changed(request, ops_of(request).create(body, principal(request).name), 201)


@routes.post("/api/v1/notices/{id}/versions")
@requires(PUBLISH)
@describe(
    "notices.update",
    "Publish a new version of a notice (a new state), or keep it as a draft",
    tags=["notices"],
    params=[NOTICE_ID],
    body=Body(
        VERSION_BODY,
        "the new version",
        required=True,
        example={**EXAMPLE, "state": "identified"},
    ),
    responses={201: Answer("the notice and the new version", CHANGED), **CHANGE_ERRORS},
)
async def add_version(request: web.Request) -> web.Response:
    notice_id = record_id(request, "notice")
    body = await json_body(request)
    author = principal(request).name
    return await changed(request, ops_of(request).add_version(notice_id, body, author), 201)


@routes.post("/api/v1/notices/{id}/resolve")
@requires(PUBLISH)
@describe(
    "notices.resolve",
    "Publish the closing version: resolved (a maintenance: completed)",
    description="Every component the notice lists goes back to operational unless "
    "`components` says otherwise.",
    tags=["notices"],
    params=[NOTICE_ID],
    body=Body(
        RESOLVE_BODY,
        "the closing version",
        required=True,
        example={
            "script": "outage-resolved",
            "vars": {"service": "在线客服", "resolved_at": "15:20", "contact": "热线400-820-8820"},
        },
    ),
    responses={201: Answer("the notice and its closing version", CHANGED), **CHANGE_ERRORS},
)
async def resolve_notice(request: web.Request) -> web.Response:
    notice_id = record_id(request, "notice")
    body = await json_body(request)
    author = principal(request).name
    return await changed(request, ops_of(request).resolve(notice_id, body, author), 201)


@routes.post("/api/v1/notices/{id}/versions/{number}/publish")
@requires(PUBLISH)
@describe(
    "notices.publish",
    "Publish a draft as it is",
    description="Refused (409) when it is published already, or a later version was "
    "published since it was drafted.",
    tags=["notices"],
    params=[path("id", ID, "the notice's id", 2), path("number", ID, "the draft's number", 1)],
    responses={
        200: Answer("the notice and the published version", CHANGED),
        404: "no such notice",
        409: "no such draft, published already, or superseded",
    },
)
async def publish_draft(request: web.Request) -> web.Response:
    notice_id = record_id(request, "notice")
    number = record_id(request, "version", "number")
    by = principal(request).name
    return await changed(request, ops_of(request).publish(notice_id, number, by), 200)


@routes.get("/api/v1/components")
@requires(READ)
@describe(
    "components.list",
    "The components, in config order, with their status now",
    tags=["notices"],
    responses={
        200: Answer("components", record({"components": {"type": "array", "items": COMPONENT}}))
    },
)
async def list_components(request: web.Request) -> web.Response:
    return web.json_response(await ops_of(request).components())


@routes.put("/api/v1/components/{id}")
@requires(PUBLISH)
@describe(
    "components.set",
    "Set a component's status by hand",
    description="The next public notice that lists the component sets it again.",
    tags=["notices"],
    params=[path("id", TEXT, "the component's id", "web-chat")],
    body=Body(
        {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"enum": [item.value for item in ComponentStatus]}},
            "additionalProperties": False,
        },
        "the new status",
        required=True,
        example={"status": "degraded_performance"},
    ),
    responses={
        200: Answer("the component", COMPONENT),
        400: "not a status (`problems`)",
        404: "no such component",
    },
)
async def set_component(request: web.Request) -> web.Response:
    body: dict[str, Any] = await json_body(request)
    component_id = request.match_info["id"]
    by = principal(request).name
    return await changed(request, ops_of(request).set_component(component_id, body, by), 200)
