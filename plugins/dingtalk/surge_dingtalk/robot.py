"""The DingTalk custom robot (自定义机器人): ``POST /robot/send?access_token=TOKEN``.

With 加签 (signing) the URL also carries ``timestamp`` (milliseconds) and ``sign`` =
urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))); DingTalk refuses a
timestamp more than an hour off. A message is ``msgtype: markdown`` with a ``title`` (the
notification line) and the ``text``; people are mentioned by ``at.atUserIds`` (a user id)
or ``at.atMobiles`` (a mobile number), and ``@ID`` in the text shows where. DingTalk
answers ``{"errcode": 0, "errmsg": "ok"}``; 310000 is a wrong signature (or keyword or
IP), 130101 and 660026 its rate limit (20 messages a minute per robot).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import quote, quote_plus

from surge.robots.connection import RobotConnection, Secret
from surge.robots.mentions import Mention
from surge.robots.queue import RateLimit
from surge.robots.robot import Body, Request, Robot, SignedRobot
from surge.rota.model import Person

BASE_URL = "https://oapi.dingtalk.com"
APP_KEYS = ("app_key", "app_secret", "app_secret_env", "agent_id")


def sign(secret: str, timestamp: str) -> str:
    """DingTalk's 加签: base64 of HMAC-SHA256 keyed with the secret over
    ``timestamp\\nsecret``, URL-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest))


def mobile(number: str) -> str:
    """DingTalk names a mainland mobile without +86: ``+86 138-0000-0001`` → 13800000001."""
    digits = "".join(char for char in number if char.isdigit())
    return digits[2:] if number.startswith("+86") else digits


class DingTalkRobot(SignedRobot):
    platform = "dingtalk"
    limit = 18000  # bytes of markdown text: DingTalk takes 20,000 a message, with the JSON
    measure = "bytes"
    throttle_codes = frozenset({130101, 660026})

    def mention(self, person: Person, address: str = "") -> Mention | None:
        found = self.person_mention(person, "dingtalk", address)
        if found is not None and found.by == "mobile":
            return Mention(found.person, mobile(found.id), "mobile")
        return found

    def mention_text(self, mentions: Sequence[Mention]) -> str:
        return " ".join(f"@{item.id}" for item in mentions)

    def bodies(self, text: str, title: str, mentions: Sequence[Mention]) -> list[Body]:
        at = {
            "atMobiles": [item.id for item in mentions if item.by == "mobile"],
            "atUserIds": [item.id for item in mentions if item.by == "user"],
            "isAtAll": False,
        }
        return [{"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": at}]

    def request(self, body: Body) -> Request:
        url = f"{self.base_url}/robot/send?access_token={quote(self.token.get(), safe='')}"
        if self.secret is not None:
            timestamp = str(round(self.clock() * 1000))
            url += f"&timestamp={timestamp}&sign={sign(self.secret.get(), timestamp)}"
        return Request(url, body)


class DingTalkConnection(RobotConnection):
    platform = "dingtalk"
    default_url = BASE_URL
    app_keys = APP_KEYS
    token_key = "access_token"
    signed = True

    def make(self, token: Secret, secret: Secret | None, rate: RateLimit | None) -> Robot:
        return DingTalkRobot(self.settings.base_url, token, secret, rate)
