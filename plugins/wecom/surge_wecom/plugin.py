"""The WeCom plugin's hooks: the ``wecom`` channel provider type and pager type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from surge.channels.provider import ProviderType
from surge.config import Config
from surge.paging.spec import Page, PagerSpec
from surge.plugin import hookimpl
from surge.robots.connection import read_platform
from surge.robots.pager import RobotPager, configure_pager, send_page
from surge.yamlcheck import Checker
from surge.yamlpos import YNode
from surge_wecom import __version__
from surge_wecom.app import read_app
from surge_wecom.robot import APP_KEYS, BASE_URL, WeComConnection

__all__ = ["__version__"]


def configure(node: YNode, check: Checker, what: str, config: Config) -> RobotPager | None:
    app = read_app(read_platform(config, "wecom", BASE_URL, APP_KEYS, check), check)
    return configure_pager(node, check, what, config, WeComConnection, app)


async def send(pager: RobotPager, page: Page, http: aiohttp.ClientSession) -> Mapping[str, Any]:
    return await send_page(pager, page, http)


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [ProviderType("wecom", WeComConnection, "WeCom group robots: posts with @mentions")]


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        PagerSpec(
            type="wecom",
            configure=configure,
            send=send,
            description="WeCom: an @mention in the on-call group and an app message.",
        )
    ]
