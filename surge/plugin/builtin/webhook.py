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
from typing import Any

import aiohttp
from multidict import CIMultiDict

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl

_RETRYABLE = {408, 425, 429}
_KEEP = 2000  # characters of the response kept on the timeline
_READ = 64 * 1024  # bytes of the response read at most


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _target(ctx: ActionContext) -> tuple[str, str | None, float, dict[str, str]]:
    name = ctx.args.get("target")
    if name is None:
        if not ctx.args.get("url"):
            raise ActionError(
                "webhook needs `target: NAME` (from config) or `url:`", retryable=False
            )
        return str(ctx.args["url"]), None, 10.0, {}
    target = ctx.config.webhooks.get(str(name))
    if target is None:
        known = ", ".join(sorted(ctx.config.webhooks)) or "none configured"
        raise ActionError(f"no webhook target {name!r} in config (known: {known})", retryable=False)
    secret = target.signing_secret()
    if target.secret_env and not secret:
        raise ActionError(
            f"webhook target {name!r}: ${target.secret_env} is not set; not sending unsigned",
            retryable=False,
        )
    return target.url, secret, target.timeout, dict(target.headers)


class PostError(Exception):
    """A signed POST failed; ``retryable`` as for the webhook action's outcomes."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


async def _webhook(ctx: ActionContext) -> ActionResult:
    url, secret, timeout, configured = _target(ctx)
    for key, value in (ctx.args.get("headers") or {}).items():
        configured[str(key)] = str(value)
    try:
        return await post_signed(
            ctx.http, url, _body(ctx), secret, timeout, configured, ctx.idempotency_key
        )
    except PostError as error:
        raise ActionError(str(error), retryable=error.retryable) from None


async def post_signed(
    http: aiohttp.ClientSession,
    url: str,
    payload: Any,
    secret: str | None,
    seconds: float,
    extra_headers: Mapping[str, str],
    idempotency_key: str,
) -> dict[str, Any]:
    """POST ``payload`` as JSON, signed when there is a secret, with the Idempotency-Key;
    ``{status, response}`` on 2xx, else PostError (shared by the webhook pager)."""
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    timestamp = str(int(time.time()))
    headers = CIMultiDict(extra_headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    headers["Idempotency-Key"] = idempotency_key
    headers["X-Surge-Timestamp"] = timestamp
    headers.popall("X-Surge-Signature", None)
    if secret:
        headers["X-Surge-Signature"] = sign(secret, timestamp, body)
    limit = aiohttp.ClientTimeout(total=seconds)
    try:
        async with http.post(
            url, data=body, headers=headers, timeout=limit, allow_redirects=False
        ) as response:
            raw = await _read(response, _READ)
    except aiohttp.InvalidURL as error:
        raise PostError(f"POST {url}: invalid URL: {error}", retryable=False) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise PostError(f"POST {url}: {type(error).__name__}: {error}") from None
    text = raw.decode(response.charset or "utf-8", errors="replace")
    if 300 <= response.status < 400:
        where = response.headers.get("Location", "?")
        raise PostError(
            f"POST {url}: HTTP {response.status} redirect to {where}; surge does not follow "
            "redirects, configure the final URL",
            retryable=False,
        )
    if response.status >= 400:
        retryable = response.status >= 500 or response.status in _RETRYABLE
        raise PostError(f"POST {url}: HTTP {response.status}: {text[:200]}", retryable=retryable)
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
