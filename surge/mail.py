"""Sending e-mail: one SMTP client for everything surge mails (pages, subscriptions, lists).

The server is the config's ``smtp:`` section (a pager or a channel may name its own with
the same keys). Passwords come from the environment, read when a message is sent, so a
config file never holds one and a missing one fails only that delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

from surge.yamlcheck import Checker
from surge.yamlpos import YNode

SECURITY = ("starttls", "tls", "none")
CLOSE_WAIT = 2.0  # seconds a closing connection may take to finish its TLS shutdown


class MailError(Exception):
    """A message was not accepted. ``retryable``: a later attempt may succeed (the server
    was unreachable, timed out or answered 4xx); otherwise it refused for good (5xx, auth)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "starttls"  # starttls (upgrade, required), tls (port 465), none (loopback)
    username: str | None = None
    password_env: str | None = None  # the environment variable holding the password
    sender: str = "surge <surge@localhost>"
    timeout: float = 30.0
    ca_file: str | None = None  # trust this CA bundle instead of the system's
    headers: dict[str, str] = field(default_factory=dict)

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None if self.password_env else None

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


def parse_smtp(node: YNode, check: Checker, what: str) -> SmtpSettings | None:
    """An SMTP server's settings from a config mapping; problems go to ``check``."""
    allowed = (
        "host",
        "port",
        "security",
        "username",
        "password_env",
        "from",
        "timeout",
        "ca_file",
        "headers",
    )
    fields = check.keys(node, what, allowed, ("host",))
    if not fields or "host" not in fields:
        return None
    values: dict[str, object] = {}
    for key in ("host", "username", "password_env", "ca_file"):
        if key in fields and (text := check.string(fields[key], f"{what}.{key}")) is not None:
            values[key] = text
    if "from" in fields and (sender := check.string(fields["from"], f"{what}.from")):
        if "@" not in parseaddr(sender)[1]:
            check.error(fields["from"].pos, f"{what}.from must be an address, got {sender!r}")
        values["sender"] = sender
    if "port" in fields and (port := check.integer(fields["port"], f"{what}.port", minimum=1)):
        values["port"] = port
    if "security" in fields and (
        mode := check.choice(fields["security"], f"{what}.security", SECURITY)
    ):
        values["security"] = mode
    if "timeout" in fields and (seconds := check.duration(fields["timeout"], f"{what}.timeout")):
        values["timeout"] = seconds
    if "headers" in fields:
        values["headers"] = check.string_map(fields["headers"], f"{what}.headers")
    if "password_env" in values and "username" not in values:
        check.error(fields["password_env"].pos, f"{what}: password_env needs a username")
    return SmtpSettings(**values)  # type: ignore[arg-type]


def compose(
    settings: SmtpSettings,
    to: Sequence[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    idempotency_key: str = "",
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A UTF-8 message; with ``idempotency_key`` its Message-ID is derived from it, so a
    re-sent attempt carries the same id and a mail system can drop the copy."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    if idempotency_key:
        digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
        message["Message-ID"] = f"<{digest}@{domain}>"
    for name, value in {**settings.headers, **(headers or {})}.items():
        message[name] = value
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def address(name: str, email: str) -> str:
    return formataddr((name, email))


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand ``message`` to the server; raises ``MailError`` saying why it was not taken."""
    if settings.username and settings.password_env and settings.password() is None:
        raise MailError(
            f"the SMTP password is not set: export {settings.password_env}", retryable=False
        )
    tls = settings.tls_context() if settings.security != "none" else None
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password(),
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        tls_context=tls,
        timeout=settings.timeout,
    )
    try:
        # aiosmtplib.send leaves the socket open when STARTTLS or the login fails inside its
        # `async with`; connecting by hand lets `finally` close it whatever happened
        await client.connect()
        await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = sorted({refused.code for refused in error.recipients})
        raise MailError(
            f"the SMTP server refused every recipient ({', '.join(map(str, codes))})",
            retryable=all(400 <= code < 500 for code in codes),
        ) from None
    except aiosmtplib.SMTPAuthenticationError as error:
        raise MailError(
            f"the SMTP server refused the login: {error.code} {error.message}", retryable=False
        ) from None
    except aiosmtplib.SMTPResponseException as error:
        raise MailError(
            f"the SMTP server answered {error.code} {error.message}",
            retryable=400 <= error.code < 500,
        ) from None
    except (aiosmtplib.SMTPException, OSError) as error:
        # connect errors, timeouts, TLS failures, a server that hung up
        raise MailError(
            f"cannot deliver through {settings.host}:{settings.port}: "
            f"{type(error).__name__}: {error}",
            retryable=True,
        ) from None
    else:
        # the server has taken the message: a failed goodbye must not make anyone resend it
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    finally:
        await _close(client)


async def _close(client: aiosmtplib.SMTP) -> None:
    """Close and wait until the connection is gone: a TLS connection finishes its shutdown
    over the next turns of the loop, and one left closing when the caller's loop ends is
    an unclosed socket. A peer that never answers the shutdown is cut off after a while."""
    protocol, transport = client.protocol, client.transport
    client.close()
    if protocol is None or transport is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CLOSE_WAIT
    # aiosmtplib has no public close waiter; its protocol drops `transport` when lost
    while protocol.transport is not None and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    if protocol.transport is not None and isinstance(transport, asyncio.Transport):
        transport.abort()
        for _ in range(3):  # abort's connection_lost runs on the next turns
            await asyncio.sleep(0)
