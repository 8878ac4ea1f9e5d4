"""What the console keeps per app: its sessions, its templates, and the signal that ends
its live streams when the server stops."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import jinja2
from aiohttp import web

from surge.web.console.session import Current, Sessions

CURRENT = web.RequestKey("console_session", Current)
LOCALE = web.RequestKey("console_locale", str)


@dataclass
class ConsoleState:
    sessions: Sessions
    templates: jinja2.Environment
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


CONSOLE = web.AppKey("console", ConsoleState)


def make_templates() -> jinja2.Environment:
    """Every template escapes what it shows (autoescape); an undefined name is an error."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("surge.web.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def console_state(request: web.Request) -> ConsoleState:
    return request.app[CONSOLE]


def current(request: web.Request) -> Current | None:
    return request.get(CURRENT)
