"""A local server that speaks Slack's Web API wire format, for tests driven through
slack-sdk with ``base_url`` pointing at it.

It answers like Slack: arguments from the query string, a form body or a JSON body;
``Authorization: Bearer TOKEN`` (``not_authed`` / ``invalid_auth`` otherwise); HTTP 200
with ``{"ok": false, "error": "channel_not_found"}`` for refusals; HTTP 429 with a
``Retry-After`` header when rate limited. It keeps channels, members, messages (with
metadata), pins and user groups, and records every call, so a test asserts what Slack
would have received. ``fail``, ``rate_limit`` and ``delay`` plan trouble per method.
``/response/NAME`` stands in for an interaction's ``response_url``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

TOKEN = "xoxb-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
RESPONDER, VIEWER, STRANGER = "U0RESP01", "U0VIEW01", "U0WHO001"  # users the tests map
BOT = "UBOT0001"
PEOPLE = {"ann": "U0ANN001", "bo": "U0BO0001", "mei": "U0MEI001"}  # rota people's Slack ids
TEAM = "T0TEST01"
_VALID_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    content_type: str
    authorization: str
    at: float
    query: dict[str, str] = field(default_factory=dict)  # what came in the query string


@dataclass
class Channel:
    id: str
    name: str
    creator: str = "UOTHER01"
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False  # a direct message between the bot and one user
    topic: str = ""
    purpose: str = ""
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    pins: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_im": self.is_im,
            "creator": self.creator,
            "topic": {"value": self.topic},
            "purpose": {"value": self.purpose},
            "num_members": len(self.members),
        }


@dataclass
class _Plan:
    errors: list[str] = field(default_factory=list)  # the next answers' Slack errors
    limited: int = 0  # how many 429s still to answer
    retry_after: int = 0
    delay: float = 0.0


Handler = Callable[["FakeSlack", dict[str, Any]], dict[str, Any]]


class FakeSlack:
    def __init__(self) -> None:
        self.url = ""  # the Web API's base_url, ending in /api/
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.users = {BOT, "UOTHER01"}
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (name, JSON) to response_urls
        self.received = asyncio.Event()  # set on each call
        self._plans: dict[str, _Plan] = {}
        self._ids = itertools.count(1)
        self._last = 0.0

    # -- set-up and planning --

    def add_channel(self, name: str, *, member: bool = True, private: bool = False) -> Channel:
        channel = Channel(f"C{next(self._ids):08d}", name, is_private=private)
        if member:
            channel.members.add(BOT)
        self.channels[channel.id] = channel
        return channel

    def add_users(self, *users: str) -> None:
        self.users.update(users)

    def plan(self, method: str) -> _Plan:
        return self._plans.setdefault(method, _Plan())

    def fail(self, method: str, error: str, times: int = 1) -> None:
        self.plan(method).errors.extend([error] * times)

    def rate_limit(self, method: str, times: int, retry_after: int = 0) -> None:
        plan = self.plan(method)
        plan.limited, plan.retry_after = times, retry_after

    def delay(self, method: str, seconds: float) -> None:
        self.plan(method).delay = seconds

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def by_name(self, name: str) -> Channel:
        return next(channel for channel in self.channels.values() if channel.name == name)

    def dm(self, user: str) -> Channel | None:
        """The bot's direct-message channel with ``user``, once one was opened."""
        return next((c for c in self.channels.values() if c.is_im and c.name == user), None)

    # -- the wire --

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = dict(request.query)
        content_type = request.content_type
        raw = await request.read()
        if content_type == "application/json":
            args.update(json.loads(raw or b"{}"))
        elif content_type == "application/x-www-form-urlencoded":
            args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        authorization = request.headers.get("Authorization", "")
        query = dict(request.query)
        self.calls.append(Call(method, args, content_type, authorization, time.monotonic(), query))
        self.received.set()
        plan = self._plans.get(method)
        if plan is not None and plan.limited > 0:
            plan.limited -= 1
            headers = {"Retry-After": str(plan.retry_after)}
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=headers
            )
        answer = self._answer(method, args, authorization, content_type)
        if plan is not None and plan.delay:
            await asyncio.sleep(plan.delay)  # the work is done; only the answer is late
        return web.json_response(answer)

    def _answer(
        self, method: str, args: dict[str, Any], authorization: str, content_type: str
    ) -> dict[str, Any]:
        token = authorization.removeprefix("Bearer ").strip() or str(args.get("token") or "")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        plan = self._plans.get(method)
        if plan is not None and plan.errors:
            return {"ok": False, "error": plan.errors.pop(0)}
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            return {"ok": True, **handler(self, args)}
        except SlackRefusal as refusal:
            return {"ok": False, "error": refusal.error}

    async def respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["name"], await request.json()))
        self.received.set()
        return web.Response(text="ok")

    # -- helpers for the methods --

    def channel(self, args: dict[str, Any], *, member: bool = True) -> Channel:
        key = str(args.get("channel") or "")
        found = self.channels.get(key)
        if found is None and key:
            name = key.lstrip("#")
            found = next((c for c in self.channels.values() if c.name == name), None)
        if found is None:
            raise SlackRefusal("channel_not_found")
        if found.is_archived:
            raise SlackRefusal("is_archived")
        if member and BOT not in found.members:
            raise SlackRefusal("not_in_channel")
        return found

    def ts(self) -> str:
        """A message's id: its time, in microseconds, unique and increasing like Slack's."""
        self._last = max(self._last + 0.000001, time.time())
        return f"{self._last:.6f}"

    def message(self, channel: Channel, ts: str) -> dict[str, Any]:
        for message in channel.messages:
            if message["ts"] == ts:
                return message
        raise SlackRefusal("message_not_found")

    def posted(self, name_or_id: str) -> list[dict[str, Any]]:
        """The messages in a channel, oldest first."""
        channel = self.channels.get(name_or_id) or self.by_name(name_or_id)
        return channel.messages

    def wait_for(self, check: Callable[[], Any]) -> Awaitable[None]:
        async def waiting() -> None:
            while not check():
                self.received.clear()
                await self.received.wait()

        return waiting()


class SlackRefusal(Exception):
    def __init__(self, error: str) -> None:
        self.error = error


def _json_value(value: Any) -> Any:
    """Blocks and metadata arrive as JSON, or as JSON text inside a form field."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _auth_test(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": BOT, "team_id": TEAM, "bot_id": "B0000001", "user": "surge"}


def _create(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name") or "")
    if not _VALID_NAME.match(name):
        raise SlackRefusal("invalid_name_specials")
    if any(channel.name == name for channel in slack.channels.values()):
        raise SlackRefusal("name_taken")
    channel = slack.add_channel(name, private=_flag(args.get("is_private")))
    channel.creator = BOT
    return {"channel": channel.json()}


def _open(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    users = [user for user in str(args.get("users") or "").split(",") if user]
    if not users:
        raise SlackRefusal("users_list_not_supplied")
    if len(users) > 1:
        raise SlackRefusal("not_implemented")  # group DMs: not what surge asks for
    if users[0] not in slack.users:
        raise SlackRefusal("user_not_found")
    channel = slack.dm(users[0])
    if channel is None:  # a DM's id starts with D; its name here is the user's id
        channel = Channel(f"D{next(slack._ids):08d}", users[0], is_im=True)
        channel.members = {BOT, users[0]}
        slack.channels[channel.id] = channel
    return {"channel": {"id": channel.id, "is_im": True, "user": users[0]}}


def _list(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channels = [
        channel
        for channel in slack.channels.values()
        if not channel.is_im and not (_flag(args.get("exclude_archived")) and channel.is_archived)
    ]
    limit = int(args.get("limit") or 100)
    start = int(args.get("cursor") or 0)
    page = channels[start : start + limit]
    following = str(start + limit) if start + limit < len(channels) else ""
    return {"channels": [c.json() for c in page], "response_metadata": {"next_cursor": following}}


def _set(attribute: str) -> Handler:
    def handler(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
        channel = slack.channel(args)
        setattr(channel, attribute, str(args.get(attribute) or ""))
        return {"channel": channel.json()}

    return handler


def _invite(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = slack.channel(args)
    users = [user for user in str(args.get("users") or "").split(",") if user]
    if any(user not in slack.users for user in users):
        raise SlackRefusal("user_not_found")
    if BOT in users:
        raise SlackRefusal("cant_invite_self")
    if any(user in channel.members for user in users):
        raise SlackRefusal("already_in_channel")
    channel.members.update(users)
    return {"channel": channel.json()}


def _archive(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    key = str(args.get("channel") or "")
    channel = slack.channels.get(key)
    if channel is None:
        raise SlackRefusal("channel_not_found")
    if channel.is_archived:
        raise SlackRefusal("already_archived")
    channel.is_archived = True
    return {}


def _post(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = slack.channel(args)
    if not args.get("text") and not args.get("blocks"):
        raise SlackRefusal("no_text")
    message = {
        "type": "message",
        "user": BOT,
        "ts": slack.ts(),
        "text": str(args.get("text") or ""),
        "blocks": _json_value(args.get("blocks")) or [],
    }
    metadata = _json_value(args.get("metadata"))
    if metadata:
        message["metadata"] = metadata
    channel.messages.append(message)
    shown = {key: value for key, value in message.items() if key != "metadata"}
    return {"channel": channel.id, "ts": message["ts"], "message": shown}


def _update(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = slack.channel(args)
    message = slack.message(channel, str(args.get("ts") or ""))
    message["text"] = str(args.get("text") or "")
    message["blocks"] = _json_value(args.get("blocks")) or []
    message["edited"] = True
    return {"channel": channel.id, "ts": message["ts"], "text": message["text"]}


def _history(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = slack.channel(args)
    oldest = float(args.get("oldest") or 0)
    wanted = [m for m in reversed(channel.messages) if float(m["ts"]) > oldest]
    limit = int(args.get("limit") or 100)
    start = int(args.get("cursor") or 0)
    page = wanted[start : start + limit]
    if not _flag(args.get("include_all_metadata")):
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    following = str(start + limit) if start + limit < len(wanted) else ""
    return {
        "messages": page,
        "has_more": bool(following),
        "response_metadata": {"next_cursor": following},
    }


def _pin(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = slack.channel(args)
    ts = str(args.get("timestamp") or "")
    slack.message(channel, ts)
    if ts in channel.pins:
        raise SlackRefusal("already_pinned")
    channel.pins.append(ts)
    return {}


def _unpin(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = slack.channel(args)
    ts = str(args.get("timestamp") or "")
    if ts not in channel.pins:
        raise SlackRefusal("no_pin")
    channel.pins.remove(ts)
    return {}


def _usergroup_users(slack: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    group = str(args.get("usergroup") or "")
    if group not in slack.usergroups:
        raise SlackRefusal("no_such_subteam")
    return {"users": slack.usergroups[group]}


_METHODS: dict[str, Handler] = {
    "auth.test": _auth_test,
    "conversations.create": _create,
    "conversations.open": _open,
    "conversations.list": _list,
    "conversations.setTopic": _set("topic"),
    "conversations.setPurpose": _set("purpose"),
    "conversations.invite": _invite,
    "conversations.archive": _archive,
    "conversations.history": _history,
    "chat.postMessage": _post,
    "chat.update": _update,
    "pins.add": _pin,
    "pins.remove": _unpin,
    "usergroups.users.list": _usergroup_users,
}


def slack_app(slack: FakeSlack) -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/api/{method}", slack.handle)
    app.router.add_post("/response/{name}", slack.respond)
    return app


class SlackServer:
    """A FakeSlack served on a loopback port that can be stopped and started again on the
    same port with its state kept, as Slack's API going away and coming back looks to
    surge. A stop cuts requests in flight (their work may be done, the answer is lost)."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        runner = web.AppRunner(
            slack_app(self.slack), handler_cancellation=True, shutdown_timeout=0.1
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        if not self.port:
            self.port = int(runner.addresses[0][1])
            self.slack.url = f"http://127.0.0.1:{self.port}/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


# -- requests as Slack signs them --


def signed(body: bytes, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 of ``v0:TIMESTAMP:BODY`` with the secret."""
    timestamp = str(int(at if at is not None else time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(text: str, user: str = RESPONDER, team: str = "T0TEST01") -> bytes:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "channel_id": "C00000001",
            "user_id": user,
            "command": "/surge",
            "text": text,
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": "1.2.3",
        }
    ).encode()


def action_body(
    action: str, value: str, user: str, response_url: str, message: dict[str, Any] | None = None
) -> bytes:
    """A button's ``block_actions`` payload; ``message``: the message it is on, as Slack
    sends it along."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0TEST01"},
        "user": {"id": user},
        "response_url": response_url,
        "actions": [{"action_id": action, "value": value, "type": "button"}],
    }
    if message is not None:
        payload["message"] = {k: v for k, v in message.items() if k != "metadata"}
    return urlencode({"payload": json.dumps(payload)}).encode()
