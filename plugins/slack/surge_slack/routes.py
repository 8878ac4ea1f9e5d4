"""The routes Slack calls: slash commands and interactivity (the summary's buttons).

Every request must carry Slack's v0 signature over its raw body, made with the app's
signing secret, and a timestamp at most five minutes old (slack-sdk's SignatureVerifier);
anything else gets 401 before the body is read as a command. The routes get no surge
token: the signature is the caller's proof.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook.async_client import AsyncWebhookClient

from surge.runtime import Runtime
from surge.store.records import AuditOutcome
from surge.web.audit import actor, audit
from surge.web.auth import public
from surge.web.keys import RUNTIME
from surge.web.openapi import Answer, Schema, describe
from surge_slack import buttons, respond
from surge_slack.blocks import settled_blocks
from surge_slack.directory import Person
from surge_slack.respond import Reply
from surge_slack.workspace import SlackWorkspace

log = logging.getLogger(__name__)
COMMANDS = "/api/v1/slack/commands"
ACTIONS = "/api/v1/slack/actions"
REPLY_TIMEOUT = 3.0  # seconds for an answer through a response_url


def add_routes(app: web.Application) -> None:
    app.router.add_post(COMMANDS, slash_command)
    app.router.add_post(ACTIONS, interaction)


_SIGNED = "Slack signs every request with the app's signing secret; surge verifies it"
_ANSWERS: dict[int, Answer | str] = {
    401: "not signed by Slack, or signed more than 5 minutes ago",
    403: "the request comes from another Slack workspace than plugins.slack.team",
    404: "Slack is not set up here (no plugins.slack in the config)",
    503: "the signing secret is not in the environment",
}
_EPHEMERAL = Schema(
    "SlackEphemeral",
    {
        "type": "object",
        "required": ["response_type", "text"],
        "properties": {"response_type": {"const": "ephemeral"}, "text": {"type": "string"}},
    },
)


@public(_SIGNED)
@describe(
    "slack.command",
    "The /surge slash command: trigger, status, who, help",
    description="A form body as Slack sends slash commands (`user_id`, `text`, `team_id`…), "
    "signed with `X-Slack-Signature` and `X-Slack-Request-Timestamp`. The answer is shown "
    "only to the person who typed the command. See plugins/slack/README.md.",
    tags=["slack"],
    responses={200: Answer("the answer, for the person only", _EPHEMERAL), **_ANSWERS},
)
async def slash_command(request: web.Request) -> web.Response:
    runtime, workspace, form = await _verified(request)
    user = form.get("user_id", "")
    rota = runtime.engine.services.rota
    directory = workspace.directory
    person = await directory.who(user, rota)
    locale = directory.locale_of(user, rota)
    reply = await respond.slash(runtime, directory, person, user, form.get("text", ""), locale)
    await _audit(request, person, user, reply)
    return web.json_response({"response_type": "ephemeral", "text": reply.text})


@public(_SIGNED)
@describe(
    "slack.actions",
    "Slack interactivity: the buttons on a room's summary and on a page",
    description="A form body with `payload`, the JSON Slack sends for `block_actions`, signed "
    "like every Slack request. The answer to a button goes to the person who pressed it "
    "through the payload's `response_url`.",
    tags=["slack"],
    responses={
        200: Answer("taken (the answer goes through response_url)", {"type": "string"}),
        400: "the body is not a Slack interaction payload",
        **_ANSWERS,
    },
)
async def interaction(request: web.Request) -> web.Response:
    runtime, workspace, form = await _verified(request)
    payload = _payload(form)
    if payload.get("type") != "block_actions":
        return web.Response()  # other interactions (views, shortcuts) are not surge's
    user = str((payload.get("user") or {}).get("id") or "")
    actions = payload.get("actions") or []
    if not actions or not isinstance(actions[0], dict):
        raise web.HTTPBadRequest(reason="a block_actions payload needs actions")
    rota = runtime.engine.services.rota
    person = await workspace.directory.who(user, rota)
    locale = workspace.directory.locale_of(user, rota)
    action = actions[0]
    reply = await buttons.press(
        runtime, person, user, str(action.get("action_id")), str(action.get("value")), locale
    )
    if reply is None:
        return web.Response()  # a button surge does not know
    await _audit(request, person, user, reply)
    url = payload.get("response_url")
    if not isinstance(url, str) or not url:
        return web.Response()
    message = payload.get("message")
    shown = message.get("blocks") if isinstance(message, dict) else None
    if reply.settled and isinstance(shown, list) and isinstance(message, dict):
        # the page's DM itself: its buttons give way to the answer
        text = str(message.get("text") or reply.text)
        await _reply(
            url, text=text, blocks=settled_blocks(shown, reply.text), replace_original=True
        )
    else:
        await _reply(url, text=reply.text, response_type="ephemeral", replace_original=False)
    return web.Response()


async def _audit(request: web.Request, person: Person | None, user: str, reply: Reply) -> None:
    """What the person changed from Slack, or was refused, in the audit log."""
    if reply.change is None:
        return
    name = person.actor if person is not None else f"slack:{user[:40]}"
    role = person.principal.role if person is not None else ""
    outcome = AuditOutcome.DENIED if reply.denied else AuditOutcome.OK
    await audit(request, reply.change, outcome, who=actor(request, name, role))


async def _verified(request: web.Request) -> tuple[Runtime, SlackWorkspace, dict[str, str]]:
    runtime = request.app[RUNTIME]
    channels = runtime.engine.services.channels
    workspace = channels.connection("slack") if channels is not None else None
    if not isinstance(workspace, SlackWorkspace) or workspace.settings is None:
        raise web.HTTPNotFound(reason="Slack is not set up here: plugins.slack in the config")
    secret = workspace.settings.signing_secret()
    if not secret:
        raise web.HTTPServiceUnavailable(
            reason=f"the Slack signing secret is not set: export "
            f"{workspace.settings.signing_secret_env}"
        )
    body = await request.read()
    if not _signed(secret, body, request):
        raise web.HTTPUnauthorized(
            reason="not signed by Slack: the signature is missing or wrong, or the request is "
            "more than 5 minutes old"
        )
    form = _form(body)
    team = workspace.settings.team
    if team and _team(form) != team:
        raise web.HTTPForbidden(reason="this request comes from another Slack workspace")
    return runtime, workspace, form


def _signed(secret: str, body: bytes, request: web.Request) -> bool:
    headers = {key: value for key, value in request.headers.items()}
    try:
        return SignatureVerifier(secret).is_valid_request(body, headers)
    except (ValueError, UnicodeDecodeError):  # a timestamp that is no number, a bad body
        return False


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError) as error:
        raise web.HTTPBadRequest(reason=f"the body is not a form: {error}") from None
    return {key: values[-1] for key, values in fields.items()}


def _team(form: dict[str, str]) -> str:
    if "team_id" in form:
        return form["team_id"]
    payload = _payload(form)
    return str((payload.get("team") or {}).get("id") or "")


def _payload(form: dict[str, str]) -> dict[str, Any]:
    """An interaction's ``payload`` field, or a 400 saying it is not one."""
    try:
        payload = json.loads(form.get("payload", ""))
    except ValueError:
        raise web.HTTPBadRequest(reason="the body needs payload=JSON") from None
    if not isinstance(payload, dict):
        raise web.HTTPBadRequest(reason="payload must be a JSON object")
    return payload


async def _reply(url: str, **fields: Any) -> None:
    """An answer through the interaction's response_url (an ephemeral message, or the
    clicked message replaced); a failure is logged."""
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = AsyncWebhookClient(url, session=session)
        try:
            await client.send(**fields)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("could not answer through the Slack response_url: %s", error)
