"""Fixtures for the subscription tests: a server app with a real SMTP server (aiosmtpd), two
components, quick retries, and helpers to publish a notice version and read the mails."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from surge.config import Config
from surge.notices.model import Component
from surge.subscriptions.config import RateLimit, RetrySettings, SubscriptionSettings
from surge.subscriptions.records import NoticeUpdate, UpdateText
from surge.subscriptions.service import Subscriptions
from surge.web.app import create_app
from surge.web.keys import RUNTIME

Client = TestClient[web.Request, web.Application]
COMPONENTS = (
    Component("web-chat", {"zh-CN": "在线客服", "zh-TW": "線上客服", "en": "Web chat"}),
    Component("hotline", {"zh-CN": "客服热线", "zh-TW": "客服專線", "en": "Hotline"}),
)
TEXTS = {
    "en": UpdateText("Web chat is down", "Use the hotline meanwhile."),
    "zh-CN": UpdateText("在线客服故障", "请先拨打客服热线。"),
    "zh-TW": UpdateText("線上客服故障", "請先撥打客服專線。"),
}
QUICK = SubscriptionSettings(
    retry=RetrySettings(attempts=4, backoff=0.2, max_backoff=0.5),
    rate_limit=RateLimit(1000, 60),
    allow_private_webhooks=True,  # the test's receivers are on loopback
    poll_interval=0.05,
    lease=2.0,
)


@pytest.fixture
def subs_config(config: Config, smtp_server: Any) -> Config:
    return dataclasses.replace(
        config,
        public_url="http://status.example.test",
        smtp=smtp_server.settings(),
        subscriptions=QUICK,
        components=COMPONENTS,
    )


@pytest.fixture
def make_subs_client(subs_config: Config, aiohttp_client: Any) -> Callable[..., Awaitable[Client]]:
    async def make(config: Config | None = None) -> Client:
        app = create_app(config or subs_config, load_entry_points=False)
        client: Client = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_subs_client: Callable[..., Awaitable[Client]]) -> Client:
    return await make_subs_client()


def subscriptions(client: Client) -> Subscriptions:
    found = client.app[RUNTIME].engine.services.subscriptions
    assert found is not None
    return found


async def publish(
    client: Client, version: int = 1, components: dict[str, str] | None = None, notice: int = 1
) -> int:
    """Publish a version of a notice affecting ``components`` (id=status); how many queued."""
    update = NoticeUpdate(
        notice, version, "investigating", components or {}, TEXTS, datetime.now(UTC),
        "http://status.example.test/status",
    )  # fmt: skip
    return await subscriptions(client).published(update)


def path_of(url: str) -> str:
    """The path of a link in a mail (its host is the configured public_url)."""
    return urlsplit(url).path


async def mails(server: Any, count: int, within: float = 10.0) -> list[Any]:
    found: list[Any] = await asyncio.to_thread(server.wait_for, count, within)
    assert len(found) >= count, [(m.recipients, m.message["Subject"]) for m in found]
    return found


async def settled(client: Client, notice: int = 1, within: float = 10.0) -> list[dict[str, Any]]:
    """The notice's deliveries once none is queued or being sent."""
    from surge.subscriptions.service import delivery_list

    store = client.app[RUNTIME].store
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await delivery_list(store, notice)
        if all(item["state"] not in ("queued", "sending") for item in found):
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.05)
