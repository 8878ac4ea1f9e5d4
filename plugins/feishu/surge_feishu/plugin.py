"""The Feishu plugin's hooks: the ``feishu`` channel provider type and pager type."""

from __future__ import annotations

from collections.abc import Iterable

from surge.channels.provider import ProviderType
from surge.paging.spec import PagerSpec
from surge.plugin import hookimpl
from surge.robots.pager import pager_type
from surge_feishu import __version__
from surge_feishu.app import read_app
from surge_feishu.robot import FeishuConnection

__all__ = ["__version__"]


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
            read_app,
            "Feishu: an @mention in the on-call group and an app message.",
        )
    ]
