"""``webhook``: POST JSON to a URL, signed, with the step's idempotency key.

Receivers verify ``X-Surge-Signature: sha256=HEX`` where HEX is the HMAC-SHA256, keyed
with the target's secret, of ``TIMESTAMP.BODY`` (``X-Surge-Timestamp`` and the raw body),
and de-duplicate on ``Idempotency-Key``: a step re-run after a crash sends the same key.
Redirects are not followed (a 3xx fails the step): the signed body goes only where the
config says. 5xx, 408, 425, 429 and network errors are retryable; other 4xx are not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from multidict import CIMultiDict

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.config import Config
from surge.plugin import hookimpl

_RETRYABLE = {408, 425, 429}
_KEEP = 2000  # characters of the response kept on the timeline
_READ = 64 * 1024  # bytes of the response read at most


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@dataclass(frozen=True)
class Endpoint:
    """Where a signed POST goes, from a target under ``webhooks:`` (or a bare URL)."""

    url: str
    secret: str | None = None
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)


def endpoint(config: Config, name: str) -> Endpoint:
    """The configured target ``name``; ActionError (not retryable) says what is missing."""
    target = config.webhooks.get(name)
    if target is None:
        known = ", ".join(sorted(config.webhooks)) or "none configured"
        raise ActionError(f"no webhook target {name!r} in config (known: {known})", retryable=False)
    secret = target.signing_secret()
    if target.secret_env and not secret:
        raise ActionError(
            f"webhook target {name!r}: ${target.secret_env} is not set; not sending unsigned",
            retryable=False,
        )
    return Endpoint(target.url, secret, target.timeout, dict(target.headers))


def _target(ctx: ActionContext) -> Endpoint:
    name = ctx.args.get("target")
    if name is not None:
        return endpoint(ctx.config, str(name))
    if not ctx.args.get("url"):
        raise ActionError("webhook needs `target: NAME` (from config) or `url:`", retryable=False)
    return Endpoint(str(ctx.args["url"]))


async def _webhook(ctx: ActionContext) -> ActionResult:
    extra = {str(key): str(value) for key, value in (ctx.args.get("headers") or {}).items()}
    return await post_signed(ctx.http, _target(ctx), _body(ctx), ctx.idempotency_key, extra)


async def post_signed(
    http: aiohttp.ClientSession,
    to: Endpoint,
    body: Any,
    idempotency_key: str,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST ``body`` as JSON, signed, with the key; ``{status, response}``, or ActionError
    (retryable for 5xx, 408, 425, 429 and network errors)."""
    url = to.url
    raw_body = json.dumps(body, ensure_ascii=False, default=str).encode()
    timestamp = str(int(time.time()))
    headers = CIMultiDict(to.headers)
    for key, value in (extra_headers or {}).items():
        headers[key] = value
    headers["Content-Type"] = "application/json; charset=utf-8"
    headers["Idempotency-Key"] = idempotency_key
    headers["X-Surge-Timestamp"] = timestamp
    headers.popall("X-Surge-Signature", None)
    if to.secret:
        headers["X-Surge-Signature"] = sign(to.secret, timestamp, raw_body)
    limit = aiohttp.ClientTimeout(total=to.timeout)
    try:
        async with http.post(
            url, data=raw_body, headers=headers, timeout=limit, allow_redirects=False
        ) as response:
            raw = await _read(response, _READ)
    except aiohttp.InvalidURL as error:
        raise ActionError(f"POST {url}: invalid URL: {error}", retryable=False) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise ActionError(f"POST {url}: {type(error).__name__}: {error}") from None
    text = raw.decode(response.charset or "utf-8", errors="replace")
    if 300 <= response.status < 400:
        where = response.headers.get("Location", "?")
        raise ActionError(
            f"POST {url}: HTTP {response.status} redirect to {where}; surge does not follow "
            "redirects, configure the final URL",
            retryable=False,
        )
    if response.status >= 400:
        retryable = response.status >= 500 or response.status in _RETRYABLE
        raise ActionError(f"POST {url}: HTTP {response.status}: {text[:200]}", retryable=retryable)
    return {"status": response.status, "response": _parsed(text)}


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := await response.content.read(limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _body(ctx: ActionContext) -> Any:
    if "body" in ctx.args:
        return ctx.args["body"]
    incident = ctx.incident
    return {
        "incident": incident.id,
        "playbook": incident.playbook_id,
        "status": incident.status.value,
        "step": ctx.step_id,
        "params": incident.params,
    }


def _parsed(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text[:_KEEP]
    return value if len(text) <= _KEEP else text[:_KEEP]


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    args: Mapping[str, Arg] = {
        "target": Arg("string", description="a webhook named under `webhooks:` in config"),
        "url": Arg("string", description="a URL, for unsigned calls"),
        "body": Arg("any", description="the JSON body (default: incident, playbook, step, params)"),
        "headers": Arg("mapping", description="extra HTTP headers"),
    }
    return [
        ActionSpec(
            name="webhook",
            run=_webhook,
            args=args,
            uses_idempotency_key=True,
            description="POST JSON, signed with HMAC-SHA256, carrying an Idempotency-Key header.",
        )
    ]
