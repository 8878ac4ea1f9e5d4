"""The DingTalk plugin's hooks: the ``dingtalk`` channel provider type and pager type."""

from __future__ import annotations

from collections.abc import Iterable

from surge.channels.provider import ProviderType
from surge.paging.spec import PagerSpec
from surge.plugin import hookimpl
from surge.robots.pager import pager_type
from surge_dingtalk import __version__
from surge_dingtalk.app import read_app
from surge_dingtalk.robot import DingTalkConnection

__all__ = ["__version__"]


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [
        ProviderType(
            "dingtalk", DingTalkConnection, "DingTalk custom robots: signed posts with @mentions"
        )
    ]


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        pager_type(
            DingTalkConnection,
            read_app,
            "DingTalk: an @mention in the on-call group and a work notice.",
        )
    ]
