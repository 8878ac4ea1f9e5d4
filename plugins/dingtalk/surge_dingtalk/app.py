"""DingTalk work notices (工作通知): a direct message to one person from a DingTalk app.

``GET /gettoken?appkey=KEY&appsecret=SECRET`` gives an access token (valid
``expires_in`` seconds, cached); ``POST /topapi/message/corpconversation/asyncsend_v2
?access_token=TOKEN`` with ``{agent_id, userid_list, msg: {msgtype: markdown, markdown:
{title, text}}}`` sends it and answers a ``task_id``. DingTalk itself delivers the same
content to the same person only once a day, so a page sent again after a crash does
not arrive twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from surge.robots.connection import PlatformSettings, Secret, read_secret
from surge.robots.pager import DirectMessages
from surge.robots.robot import Request
from surge.rota.model import Person
from surge.yamlcheck import Checker


class DingTalkApp(DirectMessages):
    platform = "dingtalk"
    token_codes = frozenset({40014, 42001})

    def __init__(self, base_url: str, app_key: str, secret: Secret, agent_id: int) -> None:
        super().__init__()
        self.base_url = base_url
        self.app_key = app_key
        self.secret = secret
        self.agent_id = agent_id

    def token_request(self) -> Request:
        query = f"appkey={quote(self.app_key)}&appsecret={quote(self.secret.get(), safe='')}"
        return Request(f"{self.base_url}/gettoken?{query}", method="GET")

    def recipient(self, person: Person, address: str) -> str | None:
        return address or person.ids.get("dingtalk") or None

    async def send_direct(
        self, http: aiohttp.ClientSession, recipient: str, title: str, body: str, key: str
    ) -> Mapping[str, Any]:
        token = quote(await self.token.get(http), safe="")
        message = {
            "agent_id": self.agent_id,
            "userid_list": recipient,
            "msg": {"msgtype": "markdown", "markdown": {"title": title, "text": body}},
        }
        url = f"{self.base_url}/topapi/message/corpconversation/asyncsend_v2?access_token={token}"
        answer = await self.call(http, Request(url, message), "asyncsend_v2")
        return {"task_id": answer.get("task_id")}


def read_app(settings: PlatformSettings, check: Checker) -> DingTalkApp | None:
    """``plugins.dingtalk.app: {app_key, app_secret_env, agent_id}``, or None."""
    fields, node = settings.app, settings.app_node
    if fields is None or node is None:
        return None
    what = "plugins.dingtalk.app"
    for name in ("app_key", "agent_id"):
        if name not in fields:
            check.error(node.pos, f"{what} is missing required key {name!r}")
    secret = read_secret(node, fields, "app_secret", check, what, required=True)
    key = check.string(fields["app_key"], f"{what}.app_key") if "app_key" in fields else None
    agent = check.integer(fields["agent_id"], f"{what}.agent_id") if "agent_id" in fields else None
    if secret is None or not key or agent is None:
        return None
    app = DingTalkApp(settings.base_url, key, secret, agent)
    app.timeout = settings.timeout
    return app
