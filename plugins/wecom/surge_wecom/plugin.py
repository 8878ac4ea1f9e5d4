"""The WeCom plugin's hooks: the ``wecom`` channel provider type and pager type."""

from __future__ import annotations

from collections.abc import Iterable

from surge.channels.provider import ProviderType
from surge.paging.spec import PagerSpec
from surge.plugin import hookimpl
from surge.robots.pager import pager_type
from surge_wecom import __version__
from surge_wecom.app import read_app
from surge_wecom.robot import WeComConnection

__all__ = ["__version__"]


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [ProviderType("wecom", WeComConnection, "WeCom group robots: posts with @mentions")]


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        pager_type(
            WeComConnection, read_app, "WeCom: an @mention in the on-call group and an app message."
        )
    ]
