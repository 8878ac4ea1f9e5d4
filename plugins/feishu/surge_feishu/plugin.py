"""The Feishu plugin's hooks: the ``feishu`` channel provider type and pager type."""

from __future__ import annotations

from collections.abc import Iterable

from surge.channels.provider import ProviderType
from surge.config import Config
from surge.paging.spec import PagerSpec
from surge.plugin import hookimpl
from surge.robots.connection import read_platform
from surge.robots.pager import pager_type
from surge.yamlcheck import Checker
from surge_feishu import __version__
from surge_feishu.app import FeishuApp, read_app
from surge_feishu.robot import APP_KEYS, BASE_URL, FeishuConnection

__all__ = ["__version__"]


def app(config: Config, check: Checker) -> FeishuApp | None:
    return read_app(read_platform(config, "feishu", BASE_URL, APP_KEYS, check), check)


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [
        ProviderType("feishu", FeishuConnection, "Feishu custom bots: signed posts with @mentions")
    ]


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        pager_type(
            FeishuConnection,
            app,
            "Feishu: an @mention in the on-call group and an app message (im/v1).",
        )
    ]
