"""Sending one delivery: a mail through the config's ``smtp:`` server (``surge.mail``), or a
signed webhook POST (``surge.plugin.builtin.webhook.post_signed``, the one signing scheme
for everything surge POSTs).

The mail's Message-ID derives from the delivery's key, so every attempt of one delivery
carries the same id; a webhook carries the key as its ``Idempotency-Key``. A webhook goes
only to public addresses (unless ``subscriptions.webhooks.allow_private``): the resolver
drops loopback, private and link-local answers, so a subscription cannot make surge POST
into its own network. Errors name the webhook's host, never its full URL (a URL's path is
often its secret).
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from surge.actions import ActionError
from surge.mail import MailError, SmtpSettings, compose, send
from surge.plugin.builtin.webhook import Endpoint, post_signed
from surge.subscriptions.config import SubscriptionSettings
from surge.subscriptions.records import Claimed, Purpose, SubscriberKind
from surge.subscriptions.render import Mail, Site, confirm_mail, notice_mail, webhook_body


class SendError(Exception):
    """A delivery was not taken; ``retryable``: a later attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def is_public(address: str) -> bool:
    try:
        found = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        found = found.ipv4_mapped
    return found.is_global and not found.is_multicast


def shown_url(url: str) -> str:
    """A webhook's URL as staff and errors see it: scheme and host, the rest elided."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if (parts.path.strip("/") or parts.query) else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


class PublicResolver(AbstractResolver):
    """Resolves like aiohttp does, keeping only public addresses."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = [item for item in await self._resolver.resolve(host, port, family)]
        public = [item for item in found if is_public(item["host"])]
        if not public:
            raise OSError(
                f"{host} has no public address; surge does not post into private networks"
            )
        return public

    async def close(self) -> None:
        await self._resolver.close()


class Sender:
    def __init__(
        self, smtp: SmtpSettings | None, settings: SubscriptionSettings, site: Site
    ) -> None:
        self.smtp = smtp
        self.settings = settings
        self.site = site
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            private = self.settings.allow_private_webhooks
            connector = aiohttp.TCPConnector(resolver=None if private else PublicResolver())
            self._http = aiohttp.ClientSession(connector=connector)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, claimed: Claimed, now: datetime) -> str:
        """Send it; returns what the far side said (Message-ID, or the HTTP status)."""
        if claimed.subscriber.kind is SubscriberKind.EMAIL:
            return await self._mail(claimed, self._compose(claimed, now))
        return await self._post(claimed)

    def _compose(self, claimed: Claimed, now: datetime) -> Mail:
        subscriber = claimed.subscriber
        if claimed.delivery.purpose is Purpose.CONFIRM:
            ttl = self.settings.confirm_ttl
            return confirm_mail(self.site, subscriber, now + timedelta(seconds=ttl), ttl)
        assert claimed.update is not None
        return notice_mail(self.site, subscriber, claimed.update)

    async def _mail(self, claimed: Claimed, mail: Mail) -> str:
        if self.smtp is None:
            raise SendError("no mail server: configure smtp: in the config", retryable=True)
        message = compose(
            self.smtp,
            [claimed.subscriber.address],
            mail.subject,
            mail.text,
            html=mail.html,
            idempotency_key=claimed.delivery.key,
            headers=mail.headers,
        )
        try:
            await send(self.smtp, message)
        except MailError as error:
            raise SendError(str(error), retryable=error.retryable) from None
        return str(message["Message-ID"])

    async def _post(self, claimed: Claimed) -> str:
        subscriber, update = claimed.subscriber, claimed.update
        if update is None:
            raise SendError("a webhook is not sent a confirmation", retryable=False)
        url = subscriber.address
        host = urlsplit(url).hostname or ""
        if not self.settings.allow_private_webhooks and private_host(host):
            raise SendError(f"{shown_url(url)} is not a public address", retryable=False)
        body: Any = webhook_body(self.site, subscriber, update, claimed.delivery.key)
        to = Endpoint(url, subscriber.secret, self.settings.webhook_timeout)
        try:
            answer = await post_signed(self.http, to, body, claimed.delivery.key)
        except ActionError as error:
            shown = str(error).replace(url, shown_url(url))
            raise SendError(shown, retryable=error.retryable) from None
        return f"HTTP {answer['status']}"


def private_host(host: str) -> bool:
    """An IP literal that is not public (aiohttp does not resolve those), or localhost."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return not is_public(name)
