"""The WeCom plugin's hooks: the ``wecom`` channel provider type and pager type."""

from __future__ import annotations

from collections.abc import Iterable

from surge.channels.provider import ProviderType
from surge.config import Config
from surge.paging.spec import PagerSpec
from surge.plugin import hookimpl
from surge.robots.connection import read_platform
from surge.robots.pager import pager_type
from surge.yamlcheck import Checker
from surge_wecom import __version__
from surge_wecom.app import WeComApp, read_app
from surge_wecom.robot import APP_KEYS, BASE_URL, WeComConnection

__all__ = ["__version__"]


def app(config: Config, check: Checker) -> WeComApp | None:
    return read_app(read_platform(config, "wecom", BASE_URL, APP_KEYS, check), check)


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [ProviderType("wecom", WeComConnection, "WeCom group robots: posts with @mentions")]


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        pager_type(
            WeComConnection, app, "WeCom: an @mention in the on-call group and an app message."
        )
    ]
