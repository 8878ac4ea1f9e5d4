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

import base64
import hashlib
import hmac
import itertools
import json
import re
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


# -- DingTalk --

DINGTALK_TOKEN = "b2f1c8e0d9a7dingtalkrobottoken0123456789abcdef"
DINGTALK_SECRET = "SEC0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
DINGTALK_APP_KEY = "dingappkey0123"
DINGTALK_APP_SECRET = "dingtalk-app-secret-for-tests"
DINGTALK_AGENT = 2280001


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """The signature as DingTalk computes it (before URL encoding)."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


@dataclass
class FakeDingTalk(FakePlatform):
    """DingTalk's custom robot (``/robot/send?access_token=``, 加签 checked) and work
    notices (``/gettoken``, ``/topapi/message/corpconversation/asyncsend_v2``)."""

    robots: dict[str, str] = field(default_factory=lambda: {DINGTALK_TOKEN: DINGTALK_SECRET})
    users: set[str] = field(default_factory=lambda: {"manager0001", "manager0003"})
    tokens: set[str] = field(default_factory=set)
    rate_code = 130101
    rate_message = "send too fast, exceed 20 times per minute"

    async def webhook(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        token = request.query.get("access_token", "")
        try:
            if token not in self.robots:
                raise Refused(300001, "token is not exist")
            self._check_sign(self.robots[token], request.query)
            self._check_message(body)
            self.taken(token, body)
        except Refused as error:
            return self.refuse(error, body)
        return self.answer()

    def _check_sign(self, secret: str, query: Any) -> None:
        if not secret:
            return
        timestamp, signature = query.get("timestamp", ""), query.get("sign", "")
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
            raise Refused(310000, "invalid timestamp")
        if not hmac.compare_digest(signature, dingtalk_sign(secret, timestamp)):
            raise Refused(310000, "sign not match, more: [https://ding-doc.dingtalk.com]")

    def _check_message(self, body: Any) -> None:
        if not isinstance(body, dict) or body.get("msgtype") != "markdown":
            raise Refused(40035, "缺少参数 msgtype")
        markdown = body.get("markdown") or {}
        if not markdown.get("title") or not markdown.get("text"):
            raise Refused(40035, "缺少参数 markdown.title 或 markdown.text")
        if utf8_len(markdown["text"]) > 20000:
            raise Refused(460101, "message too long, exceed 20000 bytes")
        at = body.get("at") or {}
        for name in ("atMobiles", "atUserIds"):
            if not isinstance(at.get(name, []), list):
                raise Refused(40035, f"at.{name} must be a list")

    async def gettoken(self, request: web.Request) -> web.Response:
        await self.record(request)
        if (request.query.get("appkey"), request.query.get("appsecret")) != (
            DINGTALK_APP_KEY,
            DINGTALK_APP_SECRET,
        ):
            return web.json_response({"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"})
        token = f"ding-token-{next(self._ids)}"
        self.tokens.add(token)
        return self.answer({"access_token": token, "expires_in": 7200})

    async def notice(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if request.query.get("access_token") not in self.tokens:
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        if body.get("agent_id") != DINGTALK_AGENT:
            return web.json_response({"errcode": 40056, "errmsg": "不合法的agentid"})
        if not set(str(body.get("userid_list") or "").split(",")) <= self.users:
            return web.json_response({"errcode": 33012, "errmsg": "无效的USERID"})
        self.direct.append(body)
        return self.answer({"task_id": next(self._ids), "request_id": "req"})

    @classmethod
    async def start(cls, aiohttp_server: Any, **options: Any) -> FakeDingTalk:
        fake = cls(**options)
        await fake.serve(
            aiohttp_server,
            [
                web.post("/robot/send", fake.webhook),
                web.get("/gettoken", fake.gettoken),
                web.post("/topapi/message/corpconversation/asyncsend_v2", fake.notice),
            ],
        )
        return fake


# -- Feishu --

FEISHU_TOKEN = "0d3c6b2a-feishu-hook-token-5e4f"
FEISHU_SECRET = "feishu-bot-signing-secret-for-tests"
FEISHU_APP_ID = "cli_a1b2c3d4e5f6"
FEISHU_APP_SECRET = "feishu-app-secret-for-tests"


def feishu_sign(secret: str, timestamp: str) -> str:
    """The signature as Feishu computes it: HMAC-SHA256 keyed with timestamp\\nsecret."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


@dataclass
class FakeFeishu(FakePlatform):
    """Feishu's custom bot (``/open-apis/bot/v2/hook/TOKEN``, 签名校验 checked) and the
    app API (``tenant_access_token/internal``, ``im/v1/messages`` with ``uuid``)."""

    robots: dict[str, str] = field(default_factory=lambda: {FEISHU_TOKEN: FEISHU_SECRET})
    users: set[str] = field(
        default_factory=lambda: {
            "ou_7d8a6e6df7621556ce0d21922b676706",
            "ou_c3f0d9e1a2b3c4d5e6f7a8b9c0d1e2f3",
        }
    )
    tokens: set[str] = field(default_factory=set)
    uuids: set[str] = field(default_factory=set)
    code_key = "code"
    message_key = "msg"
    rate_code = 11232
    rate_message = "frequency limited"

    async def webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = await self.record(request)
        token = request.match_info["token"]
        try:
            if token not in self.robots:
                raise Refused(19001, "param invalid: incoming webhook access token invalid")
            if len(raw) > 20 * 1024:
                raise Refused(9499, "Bad Request: request body exceeds 20KB")
            self._check_sign(self.robots[token], body)
            self._check_message(body)
            self.taken(token, body)
        except Refused as error:
            return self.refuse(error, body)
        return web.json_response({"code": 0, "msg": "success", "data": {}})

    def _check_sign(self, secret: str, body: Any) -> None:
        if not secret:
            return
        timestamp = str((body or {}).get("timestamp", ""))
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 3600
        if not fresh or not hmac.compare_digest(
            str(body.get("sign", "")), feishu_sign(secret, timestamp)
        ):
            raise Refused(19021, "sign match fail or timestamp is not within one hour")

    def _check_message(self, body: Any) -> None:
        if not isinstance(body, dict) or body.get("msg_type") != "post":
            raise Refused(9499, "Bad Request")
        post = ((body.get("content") or {}).get("post") or {}).get("zh_cn") or {}
        if not isinstance(post.get("content"), list):
            raise Refused(9499, "Bad Request")
        for line in post["content"]:
            for element in line:
                if element.get("tag") == "at" and element.get("user_id") not in self.users:
                    raise Refused(9499, "Bad Request: unknown user_id")
                if element.get("tag") not in ("text", "at"):
                    raise Refused(9499, "Bad Request")

    async def tenant_token(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if (body.get("app_id"), body.get("app_secret")) != (FEISHU_APP_ID, FEISHU_APP_SECRET):
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        token = f"t-feishu-{next(self._ids)}"
        self.tokens.add(token)
        return web.json_response(
            {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        )

    async def im_message(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return web.json_response({"code": 99991663, "msg": "Invalid access token"})
        if request.query.get("receive_id_type") != "open_id" or body.get("msg_type") != "text":
            return web.json_response({"code": 230001, "msg": "invalid receive_id_type"})
        if body.get("receive_id") not in self.users:
            return web.json_response(
                {"code": 230013, "msg": "Bot has NO availability to this user"}
            )
        if body.get("uuid") not in self.uuids:  # Feishu sends one uuid once within an hour
            self.uuids.add(body.get("uuid"))
            self.direct.append(body)
        data = {"message_id": f"om_{next(self._ids)}", "msg_type": "text"}
        return web.json_response({"code": 0, "msg": "success", "data": data})

    @classmethod
    async def start(cls, aiohttp_server: Any, **options: Any) -> FakeFeishu:
        fake = cls(**options)
        await fake.serve(
            aiohttp_server,
            [
                web.post("/open-apis/bot/v2/hook/{token}", fake.webhook),
                web.post("/open-apis/auth/v3/tenant_access_token/internal", fake.tenant_token),
                web.post("/open-apis/im/v1/messages", fake.im_message),
            ],
        )
        return fake


# -- one view of the three, for tests that run on each --

SECOND_ROBOT = {  # a second group's robot on each platform: (key or token, secret)
    "wecom": ("0f3e2c1b-agents-robot-key", ""),
    "dingtalk": ("agentsrobottoken9876543210fedcba", "SECagents0123456789abcdef"),
    "feishu": ("9a8b7c6d-agents-hook-token", "feishu-agents-signing-secret"),
}
FIRST_ROBOT = {
    "wecom": (WECOM_KEY, ""),
    "dingtalk": (DINGTALK_TOKEN, DINGTALK_SECRET),
    "feishu": (FEISHU_TOKEN, FEISHU_SECRET),
}
FAKES: dict[str, type[FakePlatform]] = {}


@dataclass(frozen=True)
class Shown:
    """One message as the group shows it: its text and whom it mentions."""

    text: str
    mentions: tuple[str, ...]


@dataclass
class Chat:
    """A platform's fake with two group robots, and how a config names them."""

    name: str
    fake: FakePlatform
    robots: dict[str, tuple[str, str]]  # channel -> (key or token, secret)

    @classmethod
    async def start(cls, name: str, aiohttp_server: Any, **options: Any) -> Chat:
        fake: FakePlatform = await FAKES[name].start(aiohttp_server, **options)  # type: ignore[attr-defined]
        if name != "wecom":
            fake.robots[SECOND_ROBOT[name][0]] = SECOND_ROBOT[name][1]  # type: ignore[attr-defined]
        else:
            fake.keys.add(SECOND_ROBOT[name][0])  # type: ignore[attr-defined]
        return cls(name, fake, {})

    def plugin_section(self) -> str:
        return f'plugins:\n  {self.name}: {{base_url: "{self.fake.url}"}}\n'

    def channel(self, channel: str, robot: tuple[str, str], monkeypatch: Any) -> str:
        """The channel's provider keys (a flow mapping's inside); its secrets exported."""
        self.robots[channel] = robot
        env = channel.upper().replace("-", "_")
        token, secret = robot
        monkeypatch.setenv(f"{env}_TOKEN", token)
        monkeypatch.setenv(f"{env}_SECRET", secret)
        if self.name == "wecom":
            return f"provider: wecom, webhook_key_env: {env}_TOKEN"
        names = {"dingtalk": "access_token_env", "feishu": "hook_token_env"}
        return f"provider: {self.name}, {names[self.name]}: {env}_TOKEN, secret_env: {env}_SECRET"

    def shown(self, channel: str) -> list[Shown]:
        token = self.robots[channel][0]
        return [_shown(self.name, body) for body in self.fake.messages.get(token, [])]


def _shown(platform: str, body: Body) -> Shown:
    if platform == "wecom":
        if body["msgtype"] == "text":
            text = body["text"]
            return Shown(text["content"], tuple(text.get("mentioned_mobile_list", [])))
        content = body["markdown"]["content"]
        return Shown(content, tuple(re.findall(r"<@([^>]+)>", content)))
    if platform == "dingtalk":
        at = body.get("at") or {}
        found = (*at.get("atUserIds", []), *at.get("atMobiles", []))
        return Shown(body["markdown"]["text"], tuple(found))
    lines = body["content"]["post"]["zh_cn"]["content"]
    text = "\n".join(e["text"] for line in lines for e in line if e["tag"] == "text")
    mentions = tuple(e["user_id"] for line in lines for e in line if e["tag"] == "at")
    return Shown(text, mentions)


FAKES.update({"wecom": FakeWeCom, "dingtalk": FakeDingTalk, "feishu": FakeFeishu})


def robot_of(chat: Chat, channel: str) -> tuple[str, str]:
    """A robot of its own for ``channel`` on the chat's fake: (key or token, secret)."""
    token = f"{channel}-{chat.name}-robot-0001"
    secret = "" if chat.name == "wecom" else f"SEC{channel}-signing-secret"
    if chat.name == "wecom":
        chat.fake.keys.add(token)  # type: ignore[attr-defined]
    else:
        chat.fake.robots[token] = secret  # type: ignore[attr-defined]
    return token, secret
