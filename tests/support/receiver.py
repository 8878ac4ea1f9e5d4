"""An HTTP server on loopback that records every request and answers as planned."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy


@dataclass
class Received:
    path: str
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers as planned.

    ``plan`` holds the statuses of the next answers (then 200); ``reply`` the JSON body.
    """

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    reply: Callable[[Received], Any] = lambda received: {"ok": True}
    headers: dict[str, str] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(request.path, request.headers, await request.read())
        self.requests.append(received)
        status = self.plan.pop(0) if self.plan else 200
        return web.json_response(self.reply(received), status=status, headers=self.headers)

    @classmethod
    async def serve(cls, aiohttp_server: Any) -> Receiver:
        """Start one with pytest-aiohttp's ``aiohttp_server`` fixture; ``url`` ends in /hook."""
        found = cls()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", found.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        found.url = str(server.make_url("/hook"))
        return found
