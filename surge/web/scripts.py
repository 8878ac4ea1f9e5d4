"""``/api/v1/scripts``: the response scripts, and checking an agent's reply against one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from surge.playbook.messages import show
from surge.scripts.model import LOCALES
from surge.scripts.rules import approved_wording, check, report
from surge.web.api import READERS
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import runtime

MAX_TEXT = 10_000  # characters of a reply
routes = web.RouteTableDef()


@routes.get("/api/v1/scripts")
@requires(*READERS)
async def list_scripts(request: web.Request) -> web.Response:
    state = runtime(request)
    return web.json_response({"scripts": [script.summary() for script in state.scripts.all()]})


@routes.post("/api/v1/scripts/check")
@requires("viewer", "responder", "comms")
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
    elif not isinstance(incident, int) or isinstance(incident, bool) or incident < 1:
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
@requires(*READERS)
async def incident_script(request: web.Request) -> web.Response:
    """The script the incident's agents follow, rendered in ``?locale=`` (or its first)."""
    state = runtime(request)
    raw = request.match_info["id"]
    if not raw.isdecimal() or len(raw) > 18:
        return error_response(404, f"no incident {raw!r}")
    locale = request.query.get("locale", "")
    if locale and locale not in LOCALES:
        return error_response(400, f"locale must be one of {', '.join(LOCALES)}")
    scripts = state.engine.scripts
    active = await state.store.active_script(int(raw))
    if scripts is None or active is None:
        return error_response(404, f"incident {raw} has no active script")
    try:
        found = await scripts.rendered(int(raw), locale)
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
