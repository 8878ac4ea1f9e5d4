"""The Feishu custom bot (自定义机器人): ``POST /open-apis/bot/v2/hook/TOKEN``.

With 签名校验 the body carries ``timestamp`` (seconds) and ``sign`` =
base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")); Feishu refuses a timestamp
more than an hour off. A message is ``msg_type: post`` (rich text): a title and one
paragraph of ``{"tag": "text"}`` per line, which Feishu shows as written (no markup to
escape), and ``{"tag": "at", "user_id": OPEN_ID}`` elements for the people mentioned.
Feishu answers ``{"code": 0, "msg": "success"}``; 19021 is a wrong signature or an old
timestamp, 11232 and 9499 ("too many request") its rate limit, and a request body may
be at most 20 KB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import quote

from surge.robots.connection import RobotConnection, Secret
from surge.robots.mentions import Mention
from surge.robots.queue import RateLimit, Throttled
from surge.robots.robot import Body, Request, Robot, SignedRobot
from surge.rota.model import Person

BASE_URL = "https://open.feishu.cn"
APP_KEYS = ("app_id", "app_secret", "app_secret_env")
LINE_COST = 32  # bytes of JSON around each line's text element, and a little to spare


def sign(secret: str, timestamp: str) -> str:
    """Feishu's 签名: base64 of HMAC-SHA256 keyed with ``timestamp\\nsecret`` over nothing."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def post_content(title: str, text: str, mentions: Sequence[Mention]) -> Body:
    """A ``post`` message: each line a paragraph of plain text, the mentions last."""
    lines: list[list[Body]] = [[{"tag": "text", "text": line}] for line in text.split("\n")]
    if mentions:
        lines.append([{"tag": "at", "user_id": item.id} for item in mentions])
    return {"post": {"zh_cn": {"title": title, "content": lines}}}


class FeishuRobot(SignedRobot):
    platform = "feishu"
    code_key = "code"
    message_key = "msg"
    limit = 18000  # of ``size``: Feishu takes a 20 KB body, with the title and mentions
    markdown = False  # a post shows its text as written
    throttle_codes = frozenset({11232})

    def size(self, text: str) -> int:
        """The bytes ``text`` takes in the request: its UTF-8, and for each line break
        the JSON of one more paragraph element (``[{"tag":"text","text":""}],``)."""
        return len(text.encode("utf-8")) + LINE_COST * text.count("\n")

    def mention(self, person: Person, address: str = "") -> Mention | None:
        found = address or person.ids.get("feishu", "")
        return Mention(person.id, found) if found else None  # Feishu mentions by open_id only

    def mention_text(self, mentions: Sequence[Mention]) -> str:
        return ""  # the mentions are elements of their own

    def defuse(self, text: str) -> str:
        return text  # plain text elements: nothing in them is markup

    def bodies(self, text: str, title: str, mentions: Sequence[Mention]) -> list[Body]:
        return [{"msg_type": "post", "content": post_content(title, text, mentions)}]

    def request(self, body: Body) -> Request:
        signed = dict(body)
        if self.secret is not None:
            timestamp = str(int(self.clock()))
            signed = {"timestamp": timestamp, "sign": sign(self.secret.get(), timestamp), **body}
        return Request(f"{self.base_url}/open-apis/bot/v2/hook/{quote(self.token.get())}", signed)

    def check(self, what: str, status: int, answer: Body) -> Body:
        message = str(answer.get("msg") or "")
        if str(answer.get("code")) == "9499" and "too many" in message.lower():
            raise Throttled(f"feishu {what}: code 9499 {message}", self.throttle_wait)
        return super().check(what, status, answer)


class FeishuConnection(RobotConnection):
    platform = "feishu"
    default_url = BASE_URL
    app_keys = APP_KEYS
    token_key = "hook_token"
    signed = True

    def make(self, token: Secret, secret: Secret | None, rate: RateLimit | None) -> Robot:
        return FeishuRobot(self.settings.base_url, token, secret, rate)
