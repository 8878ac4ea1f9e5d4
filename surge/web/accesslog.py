"""The access log ``surge serve`` writes: aiohttp's, less the public pages' plain answers.

Under a traffic peak nearly every request is a customer reloading the status page or a
website polling ``banner.json``; each is answered from memory in a few microseconds, and
writing its log line cost as much again as answering it (bench/README.md: about half the
requests per CPU second). So a route marked ``quiet`` is logged only when its answer is an
error (4xx, 5xx); 200s and 304s of the status page are counted by whatever serves it in
front (a CDN, the load balancer), not here. Every other route is logged as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

QUIET_ATTR = "__surge_quiet_log__"
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def quiet(handler: Handler) -> Handler:
    """Mark a route whose successful answers are not access-logged."""
    setattr(handler, QUIET_ATTR, True)
    return handler


class SurgeAccessLogger(AccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if response.status < 400:
            match = getattr(request, "match_info", None)
            if match is not None and getattr(match.handler, QUIET_ATTR, False):
                return
        super().log(request, response, time)
