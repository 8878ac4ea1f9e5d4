"""Error answers (JSON with a reason) and reading a request's JSON body."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def error_response(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant)
        # a lone surrogate (\ud800) is valid JSON but no text the store can keep
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise web.HTTPBadRequest(
            reason="the body holds a lone UTF-16 surrogate "
            "(a \\uD800-\\uDFFF escape without its pair)"
        ) from None
    except RecursionError:
        raise web.HTTPBadRequest(reason="the body is nested too deeply") from None
    except ValueError as error:  # also bad UTF-8 and integers too long to convert
        raise web.HTTPBadRequest(reason=f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="the body must be a JSON object")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
