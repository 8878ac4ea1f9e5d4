"""Local servers that speak the chat platforms' robot and app APIs, for the tests of
plugins/wecom, plugins/dingtalk and plugins/feishu (each plugin's ``base_url`` points at
one of them on loopback).

Each checks a request the way its platform does (the webhook's key or token, the
signature from the timestamp and the secret, the message's type, fields and length) and
answers in its format: HTTP 200 with ``errcode``/``code`` 0, or the platform's error
code. Each robot has the platform's rate limit (``limit`` messages in ``per`` seconds;
tests shorten it): past it the platform's rate-limit code comes back. What arrived is
kept per robot (``messages``), with every request (``calls``) and every refusal
(``refused``), so a test asserts what the group would show.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Body = dict[str, Any]


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: Any
    at: float


@dataclass
class Refusal:
    code: int
    message: str
    body: Any


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class FakePlatform:
    """What the three fakes share: recording, the rate window, planned failures."""

    limit: int = 20  # messages per robot in ``per`` seconds, as the platform allows
    per: float = 60.0
    url: str = ""  # the base URL to configure the plugin with
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[Body]] = field(default_factory=dict)  # robot -> bodies taken
    refused: list[Refusal] = field(default_factory=list)
    direct: list[Body] = field(default_factory=list)  # app messages to one person
    fail_next: list[tuple[int, str]] = field(default_factory=list)  # planned refusals
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    code_key = "errcode"
    message_key = "errmsg"
    rate_code = 0
    rate_message = ""

    def taken(self, robot: str, body: Body) -> None:
        """Count a message against the robot's window; Refused past the limit."""
        if self.fail_next:
            code, message = self.fail_next.pop(0)
            raise Refused(code, message)
        now = time.monotonic()
        window = self._windows.setdefault(robot, deque())
        while window and window[0] <= now - self.per:
            window.popleft()
        if len(window) >= self.limit:
            raise Refused(self.rate_code, self.rate_message)
        window.append(now)
        self.messages.setdefault(robot, []).append(body)

    def answer(self, payload: Body | None = None) -> web.Response:
        return web.json_response({self.code_key: 0, self.message_key: "ok", **(payload or {})})

    def refuse(self, error: Refused, body: Any) -> web.Response:
        self.refused.append(Refusal(error.code, error.message, body))
        return web.json_response({self.code_key: error.code, self.message_key: error.message})

    async def record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.calls.append(Call(request.path, dict(request.query), body, time.monotonic()))
        return body

    async def serve(self, aiohttp_server: Any, routes: list[web.RouteDef]) -> None:
        app = web.Application()
        app.add_routes(routes)
        server = await aiohttp_server(app, host="127.0.0.1")
        self.url = str(server.make_url("")).rstrip("/")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


async def channel_notes(runtime: Any, incident_id: int) -> list[str]:
    """The channel entries of an incident's timeline, oldest first."""
    return [
        entry.message
        for entry in await runtime.store.timeline(incident_id)
        if entry.kind.startswith("channel.")
    ]


# -- WeCom --

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
WECOM_CORP = "ww1234567890abcdef"
WECOM_SECRET = "wecom-app-secret-for-tests"
WECOM_AGENT = 1000002


@dataclass
class FakeWeCom(FakePlatform):
    """WeCom's group robot (``/cgi-bin/webhook/send?key=``) and app message API."""

    keys: set[str] = field(default_factory=lambda: {WECOM_KEY})
    users: set[str] = field(default_factory=lambda: {"liwei", "wangfang", "chenjie"})
    tokens: set[str] = field(default_factory=set)
    rate_code = 45009
    rate_message = "api freq out of limit"

    async def webhook(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        key = request.query.get("key", "")
        try:
            if key not in self.keys:
                raise Refused(93000, "invalid webhook url, hint: [1700000000_1]")
            self._check_message(body)
            self.taken(key, body)
        except Refused as error:
            return self.refuse(error, body)
        return self.answer()

    def _check_message(self, body: Any) -> None:
        if not isinstance(body, dict) or body.get("msgtype") not in ("markdown", "text"):
            raise Refused(40008, "invalid message type")
        if body["msgtype"] == "markdown":
            content = (body.get("markdown") or {}).get("content")
            if not isinstance(content, str) or not content:
                raise Refused(41009, "missing markdown content")
            if utf8_len(content) > 4096:
                raise Refused(40058, "markdown.content exceed max length 4096")
        else:
            text = body.get("text") or {}
            if not isinstance(text.get("content"), str) or utf8_len(text["content"]) > 2048:
                raise Refused(40058, "text.content exceed max length 2048")
            mobiles = text.get("mentioned_mobile_list", [])
            if not isinstance(mobiles, list) or not all(isinstance(m, str) for m in mobiles):
                raise Refused(40058, "mentioned_mobile_list must be a list of strings")

    async def gettoken(self, request: web.Request) -> web.Response:
        await self.record(request)
        if (request.query.get("corpid"), request.query.get("corpsecret")) != (
            WECOM_CORP,
            WECOM_SECRET,
        ):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        token = f"wecom-token-{next(self._ids)}"
        self.tokens.add(token)
        return self.answer({"access_token": token, "expires_in": 7200})

    async def message_send(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if request.query.get("access_token") not in self.tokens:
            return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
        if body.get("agentid") != WECOM_AGENT or body.get("msgtype") != "text":
            return web.json_response({"errcode": 40056, "errmsg": "invalid agentid"})
        wanted = str(body.get("touser") or "").split("|")
        unknown = [user for user in wanted if user not in self.users]
        if len(unknown) == len(wanted):
            return web.json_response({"errcode": 81013, "errmsg": "user & party & tag all invalid"})
        self.direct.append(body)
        return self.answer({"invaliduser": "|".join(unknown), "msgid": f"msg{next(self._ids)}"})

    @classmethod
    async def start(cls, aiohttp_server: Any, **options: Any) -> FakeWeCom:
        fake = cls(**options)
        await fake.serve(
            aiohttp_server,
            [
                web.post("/cgi-bin/webhook/send", fake.webhook),
                web.get("/cgi-bin/gettoken", fake.gettoken),
                web.post("/cgi-bin/message/send", fake.message_send),
            ],
        )
        return fake

    def markdown(self, key: str = WECOM_KEY) -> list[str]:
        """The markdown messages the group shows, in order."""
        return [
            body["markdown"]["content"]
            for body in self.messages.get(key, [])
            if body["msgtype"] == "markdown"
        ]
