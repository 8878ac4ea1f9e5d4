"""The WeCom group robot (群机器人): ``POST /cgi-bin/webhook/send?key=KEY``.

A message is ``msgtype: markdown`` (at most 4096 bytes of content); people with a WeCom
user id are mentioned in it as ``<@userid>``. Markdown cannot mention by mobile number,
so people known only by a mobile get a short ``msgtype: text`` right after it with
``mentioned_mobile_list``. WeCom answers ``{"errcode": 0, "errmsg": "ok"}``; 45009 is its
rate limit (20 messages a minute per robot), 93000 a wrong key.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from surge.robots.connection import RobotConnection, Secret
from surge.robots.mentions import Mention
from surge.robots.queue import RateLimit, identity
from surge.robots.robot import Body, Request, Robot
from surge.rota.model import Person

BASE_URL = "https://qyapi.weixin.qq.com"
APP_KEYS = ("corp_id", "secret", "secret_env", "agent_id")


class WeComRobot(Robot):
    platform = "wecom"
    limit = 4096  # bytes of markdown content
    measure = "bytes"
    throttle_codes = frozenset({45009})

    def __init__(self, base_url: str, key: Secret, rate: RateLimit | None = None) -> None:
        super().__init__(identity("wecom", base_url, key.env or key.value or ""), rate)
        self.base_url = base_url
        self.key = key

    def mention(self, person: Person, address: str = "") -> Mention | None:
        return self.person_mention(person, "wecom", address)

    def mention_text(self, mentions: Sequence[Mention]) -> str:
        return " ".join(f"<@{item.id}>" for item in mentions if item.by == "user")

    def bodies(self, text: str, title: str, mentions: Sequence[Mention]) -> list[Body]:
        found: list[Body] = [{"msgtype": "markdown", "markdown": {"content": text}}]
        mobiles = [item.id for item in mentions if item.by == "mobile"]
        if mobiles:
            found.append(
                {"msgtype": "text", "text": {"content": title, "mentioned_mobile_list": mobiles}}
            )
        return found

    def request(self, body: Body) -> Request:
        key = quote(self.key.get(), safe="")
        return Request(f"{self.base_url}/cgi-bin/webhook/send?key={key}", body)


class WeComConnection(RobotConnection):
    platform = "wecom"
    default_url = BASE_URL
    app_keys = APP_KEYS
    token_key = "webhook_key"

    def make(self, token: Secret, secret: Secret | None, rate: RateLimit | None) -> Robot:
        return WeComRobot(self.settings.base_url, token, rate)
