"""The Slack plugin's hooks: the ``slack`` channel provider and pager types, and Slack's
routes."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from surge.channels.provider import ProviderType
from surge.paging.spec import PagerSpec
from surge.plugin import hookimpl
from surge_slack import __version__, pager, routes
from surge_slack.workspace import SlackWorkspace

__all__ = ["__version__"]


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [ProviderType("slack", SlackWorkspace, "Slack: incident rooms, posts, pins, summaries")]


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [pager.SPEC]


@hookimpl
def surge_web_routes(app: web.Application) -> None:
    routes.add_routes(app)
