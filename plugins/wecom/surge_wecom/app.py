"""WeCom app messages (应用消息): a direct message to one person from a WeCom app.

``GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET`` gives an access token (valid
``expires_in`` seconds, cached); ``POST /cgi-bin/message/send?access_token=TOKEN`` with
``{touser, msgtype: text, agentid, text: {content}, enable_duplicate_check: 1}`` sends it:
WeCom drops the same content to the same person within ``duplicate_check_interval``, so
a page sent again after a crash does not arrive twice. A user it cannot find comes back
in ``invaliduser``; 40014 and 42001 mean the token is no longer valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from surge.channels.provider import ChannelError
from surge.robots.connection import PlatformSettings, Secret, read_secret
from surge.robots.pager import DirectMessages
from surge.robots.robot import Request
from surge.rota.model import Person
from surge.yamlcheck import Checker

DUPLICATE_WINDOW = 1800  # seconds WeCom drops a repeated message to the same person


class WeComApp(DirectMessages):
    platform = "wecom"
    throttle_codes = frozenset({45009})
    token_codes = frozenset({40014, 42001})

    def __init__(self, base_url: str, corp_id: str, secret: Secret, agent_id: int) -> None:
        super().__init__()
        self.base_url = base_url
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id

    def token_request(self) -> Request:
        query = f"corpid={quote(self.corp_id)}&corpsecret={quote(self.secret.get(), safe='')}"
        return Request(f"{self.base_url}/cgi-bin/gettoken?{query}", method="GET")

    def recipient(self, person: Person, address: str) -> str | None:
        return address or person.ids.get("wecom") or None

    async def send_direct(
        self, http: aiohttp.ClientSession, recipient: str, title: str, body: str, key: str
    ) -> Mapping[str, Any]:
        token = quote(await self.token.get(http), safe="")
        message = {
            "touser": recipient,
            "msgtype": "text",
            "agentid": self.agent_id,
            "text": {"content": f"{title}\n\n{body}"},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_WINDOW,
        }
        url = f"{self.base_url}/cgi-bin/message/send?access_token={token}"
        answer = await self.call(http, Request(url, message), "message/send")
        if recipient in str(answer.get("invaliduser") or "").split("|"):
            raise ChannelError(f"wecom message/send: no WeCom user {recipient}", retryable=False)
        return {"msgid": answer.get("msgid")}


def read_app(settings: PlatformSettings, check: Checker) -> WeComApp | None:
    """``plugins.wecom.app: {corp_id, secret_env, agent_id}``, or None without one."""
    fields, node = settings.app, settings.app_node
    if fields is None or node is None:
        return None
    what = "plugins.wecom.app"
    for name in ("corp_id", "agent_id"):
        if name not in fields:
            check.error(node.pos, f"{what} is missing required key {name!r}")
    secret = read_secret(node, fields, "secret", check, what, required=True)
    corp = check.string(fields["corp_id"], f"{what}.corp_id") if "corp_id" in fields else None
    agent = check.integer(fields["agent_id"], f"{what}.agent_id") if "agent_id" in fields else None
    if secret is None or not corp or agent is None:
        return None
    app = WeComApp(settings.base_url, corp, secret, agent)
    app.timeout = settings.timeout
    return app
