"""``/api/v1/scripts``: the response scripts, and checking an agent's reply against one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from surge.playbook.messages import show
from surge.roles import READ
from surge.scripts.model import LOCALES
from surge.scripts.rules import approved_wording, check, report
from surge.web.api import INCIDENT_ID
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import runtime
from surge.web.openapi import Answer, Body, describe, query
from surge.web.params import one, record_id
from surge.web.schemas import ID, MAX_ID, OBJECT, TEXT, TEXTS, TIME, record

MAX_TEXT = 10_000  # characters of a reply
routes = web.RouteTableDef()
LOCALE = {"enum": list(LOCALES)}
SCRIPT = record(
    {
        "id": TEXT,
        "title": TEXT,
        "purpose": TEXT,
        "locales": TEXTS,
        "vars": {"type": "object", "additionalProperties": OBJECT},
        "rules": {"type": "integer", "minimum": 0},
        "content_hash": {**TEXT, "description": "the sha256 an approval pins"},
        "source": TEXT,
    }
)
VIOLATION = record(
    {
        "rule": TEXT,
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "found": TEXT,
        "message": TEXT,
        "instead": TEXT,
    },
    "text[start:end] (code points) is the offending span",
)


@routes.get("/api/v1/scripts")
@requires(READ)
@describe(
    "scripts.list",
    "The loaded response scripts, by id",
    tags=["scripts"],
    responses={200: Answer("scripts", record({"scripts": {"type": "array", "items": SCRIPT}}))},
)
async def list_scripts(request: web.Request) -> web.Response:
    state = runtime(request)
    return web.json_response({"scripts": [script.summary() for script in state.scripts.all()]})


@routes.post("/api/v1/scripts/check")
@requires(READ)
@describe(
    "scripts.check",
    "Check an agent's reply against a script before it is sent",
    tags=["scripts"],
    body=Body(
        {
            "type": "object",
            "required": ["text"],
            "properties": {
                "script": {"type": "string", "minLength": 1, "description": "the script's id"},
                "incident": {**ID, "description": "check against the incident's active script"},
                "text": {"type": "string", "maxLength": MAX_TEXT},
                "locale": LOCALE,
                "channel": {"type": "string", "minLength": 1, "description": "e.g. sms"},
            },
            "additionalProperties": False,
            "anyOf": [{"required": ["script"]}, {"required": ["incident"]}],
        },
        "the reply and the script to check it against",
        required=True,
        example={"script": "outage-initial", "locale": "en", "text": "We are on it."},
    ),
    responses={
        200: Answer(
            "pass, and every violation in the order of the text",
            record(
                {
                    "pass": {"type": "boolean"},
                    "violations": {"type": "array", "items": VIOLATION},
                    "instead": {**TEXT, "description": "the approved wording"},
                }
            ),
        ),
        400: "the body is not a check (`problems` lists each reason)",
        404: "no such script, or the incident has no active script",
    },
    changes=False,
)
async def check_reply(request: web.Request) -> web.Response:
    body = await json_body(request)
    problems = _problems(body)
    if problems:
        return error_response(400, "invalid check", problems=problems)
    script_id = body.get("script")
    if script_id is None:  # the incident's active script
        active = await runtime(request).store.active_script(body["incident"])
        if active is None:
            return error_response(404, f"incident {body['incident']} has no active script")
        script_id = active.script_id
    script = runtime(request).scripts.get(script_id)
    if script is None:
        return error_response(404, f"no script {script_id!r}")
    locale = body.get("locale") or next(iter(script.locales))
    violations = check(script, body["text"], locale, channel=body.get("channel"))
    return web.json_response(report(violations, approved_wording(script, locale)))


def _problems(body: dict[str, Any]) -> list[str]:
    """Every reason the body is not a check, at once."""
    known = ("script", "incident", "text", "locale", "channel")
    problems = [
        f"unknown field {show(key)}; known: {', '.join(known)}" for key in body if key not in known
    ]
    incident = body.get("incident")
    if "script" in body or incident is None:
        if not isinstance(body.get("script"), str) or not body["script"]:
            problems.append("script must be the id of a script (or give incident: ID)")
    elif not isinstance(incident, int) or isinstance(incident, bool) or not 1 <= incident <= MAX_ID:
        problems.append("incident must be an incident id (a number)")
    text = body.get("text")
    if not isinstance(text, str):
        problems.append("text must be the reply to check, as a string")
    elif len(text) > MAX_TEXT:
        problems.append(f"text has {len(text)} characters; at most {MAX_TEXT} are checked")
    locale = body.get("locale")
    if locale is not None and locale not in LOCALES:
        problems.append(f"locale must be one of {', '.join(LOCALES)}; got {show(locale)}")
    channel = body.get("channel")
    if channel is not None and (not isinstance(channel, str) or not channel):
        problems.append("channel must be a channel name such as sms")
    return problems


@routes.get("/api/v1/incidents/{id}/script")
@requires(READ)
@describe(
    "incidents.script",
    "The response script the incident's agents follow, rendered",
    tags=["scripts"],
    params=[INCIDENT_ID, query("locale", LOCALE, "default: the script's first locale", "en")],
    responses={
        200: Answer(
            "the rendered script",
            record(
                {
                    "incident": ID,
                    "script": TEXT,
                    "locale": LOCALE,
                    "text": TEXT,
                    "vars": OBJECT,
                    "activated_by": TEXT,
                    "activated_at": TIME,
                    "locales": TEXTS,
                }
            ),
        ),
        400: "an unknown locale",
        404: "no such incident, or it has no active script",
        409: "the script changed since it was approved, or no longer renders",
    },
)
async def incident_script(request: web.Request) -> web.Response:
    """The script the incident's agents follow, rendered in ``?locale=`` (or its first)."""
    state = runtime(request)
    incident_id = record_id(request, "incident")
    locale = one(request, "locale")
    if locale is not None and locale not in LOCALES:
        return error_response(400, f"locale must be one of {', '.join(LOCALES)}")
    scripts = state.engine.scripts
    active = await state.store.active_script(incident_id)
    if scripts is None or active is None:
        return error_response(404, f"incident {incident_id} has no active script")
    try:
        found = await scripts.rendered(incident_id, locale or "")
    except ValueError as error:  # changed since approval, removed, or no longer renders
        return error_response(409, str(error))
    assert found is not None
    script, rendered = found
    return web.json_response(
        {
            "incident": active.incident_id,
            "script": script.id,
            "locale": rendered.locale,
            "text": rendered.text,
            "vars": active.variables,
            "activated_by": active.activated_by,
            "activated_at": active.activated_at.isoformat(),
            "locales": list(script.locales),
        }
    )
