"""Feishu app messages: a direct message to one person from a Feishu app (its bot).

``POST /open-apis/auth/v3/tenant_access_token/internal`` with ``{app_id, app_secret}``
gives a ``tenant_access_token`` (valid ``expire`` seconds, cached);
``POST /open-apis/im/v1/messages?receive_id_type=open_id`` with ``Authorization: Bearer
TOKEN`` and ``{receive_id, msg_type: text, content, uuid}`` sends it. Feishu sends a
message with the same ``uuid`` only once within an hour: surge derives it from the
page's idempotency key, so a page sent again after a crash does not arrive twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from surge.robots.connection import PlatformSettings, Secret, read_secret
from surge.robots.pager import DirectMessages
from surge.robots.robot import Request
from surge.rota.model import Person
from surge.yamlcheck import Checker


def message_uuid(key: str) -> str:
    """At most 50 characters, the same for every attempt at one page."""
    return "surge-" + hashlib.sha256(key.encode()).hexdigest()[:40]


class FeishuApp(DirectMessages):
    platform = "feishu"
    code_key = "code"
    message_key = "msg"
    throttle_codes = frozenset({11232, 230020})
    token_codes = frozenset({99991661, 99991663, 99991668})
    token_call = "tenant_access_token"
    token_field = "tenant_access_token"
    expiry_field = "expire"

    def __init__(self, base_url: str, app_id: str, secret: Secret) -> None:
        super().__init__()
        self.base_url = base_url
        self.app_id = app_id
        self.secret = secret

    def token_request(self) -> Request:
        url = f"{self.base_url}/open-apis/auth/v3/tenant_access_token/internal"
        return Request(url, {"app_id": self.app_id, "app_secret": self.secret.get()})

    def recipient(self, person: Person, address: str) -> str | None:
        return address or person.ids.get("feishu") or None

    async def send_direct(
        self, http: aiohttp.ClientSession, recipient: str, title: str, body: str, key: str
    ) -> Mapping[str, Any]:
        token = await self.token.get(http)
        message = {
            "receive_id": recipient,
            "msg_type": "text",
            "content": json.dumps({"text": f"{title}\n\n{body}"}, ensure_ascii=False),
            "uuid": message_uuid(key),
        }
        url = f"{self.base_url}/open-apis/im/v1/messages?receive_id_type=open_id"
        headers = {"Authorization": f"Bearer {token}"}
        answer = await self.call(http, Request(url, message, headers), "im/v1/messages")
        return {"message_id": (answer.get("data") or {}).get("message_id")}


def read_app(settings: PlatformSettings, check: Checker) -> FeishuApp | None:
    """``plugins.feishu.app: {app_id, app_secret_env}``, or None."""
    fields, node = settings.app, settings.app_node
    if fields is None or node is None:
        return None
    what = "plugins.feishu.app"
    if "app_id" not in fields:
        check.error(node.pos, f"{what} is missing required key 'app_id'")
    secret = read_secret(node, fields, "app_secret", check, what, required=True)
    app_id = check.string(fields["app_id"], f"{what}.app_id") if "app_id" in fields else None
    if secret is None or not app_id:
        return None
    app = FeishuApp(settings.base_url, app_id, secret)
    app.timeout = settings.timeout
    return app
