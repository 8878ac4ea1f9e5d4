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

from surge.channels.config import ChannelBinding
from surge.config import Config
from surge.robots.connection import RobotConnection, Secret, read_platform, read_secret
from surge.robots.mentions import Mention
from surge.robots.queue import RateLimit, identity
from surge.robots.robot import Body, Request, Robot
from surge.rota.model import Person
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

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
    keys = ("webhook_key", "webhook_key_env")

    def __init__(self, config: Config, check: Checker) -> None:
        super().__init__(config, check)
        self.settings = read_platform(config, "wecom", BASE_URL, APP_KEYS, check)

    def robot(
        self,
        binding: ChannelBinding,
        fields: dict[str, YNode],
        check: Checker,
        rate: RateLimit | None,
    ) -> Robot | None:
        what = f"channels.{binding.name}"
        key = read_secret(binding.node, fields, "webhook_key", check, what, required=True)
        if key is None:
            return None
        robot = WeComRobot(self.settings.base_url, key, rate)
        robot.timeout = self.settings.timeout
        return robot
