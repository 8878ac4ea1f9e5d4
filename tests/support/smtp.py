"""A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts.

``SmtpServer.start(tmp_path)`` runs one in a thread of its own; with ``tls=True`` it
offers STARTTLS with a certificate from a throwaway CA (trustme) and requires a login
before it takes mail, as a production relay would. ``settings()`` gives the matching
``SmtpSettings``. ``refuse`` makes it answer RCPT with that code, to test failures;
``hold`` makes it keep a message and wait before it answers (a crash mid-send).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from surge.mail import SmtpSettings

USER, PASSWORD = "surge", "smtp-test-password"
PASSWORD_ENV = "SURGE_TEST_SMTP_PASSWORD"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return cast(str, part.get_content()) if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        return cast(str, part.get_content()) if part is not None else ""


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: int | None = None
    hold: float = 0.0  # seconds to wait, once a message is kept, before saying so
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse is not None:
            return f"{self.refuse} mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        if self.hold:
            await asyncio.sleep(self.hold)
        return "250 Message accepted"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login.decode() == USER
        and data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # handled=True would send no answer


class SmtpServer:
    def __init__(
        self, controller: Controller, handler: _Handler, port: int, ca_file: str | None
    ) -> None:
        self._controller = controller
        self._handler = handler
        self.host, self.port = "127.0.0.1", port
        self.ca_file = ca_file

    @classmethod
    def start(cls, folder: Path, *, tls: bool = False, port: int | None = None) -> SmtpServer:
        """``port``: the one a stopped server had, to start it again where clients expect."""
        handler = _Handler()
        port = port or _free_port()
        options: dict[str, Any] = {}
        ca_file = None
        if tls:
            ca = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            ca_file = str(folder / "smtp-ca.pem")
            ca.cert_pem.write_to_path(ca_file)
            options = {
                "tls_context": context,
                "require_starttls": True,
                "auth_required": True,
                "authenticator": _authenticate,
                # aiosmtplib tries each offered mechanism in turn; aiosmtpd's LOGIN after a
                # failed PLAIN never answers, so offer PLAIN only, as many relays do
                "auth_exclude_mechanism": ["LOGIN"],
            }
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        return cls(controller, handler, port, ca_file)

    def stop(self) -> None:
        if self._controller.loop.is_running():
            self._controller.stop()

    @property
    def received(self) -> list[Received]:
        with self._handler.arrived:
            return list(self._handler.received)

    def refuse(self, code: int | None) -> None:
        self._handler.refuse = code

    def hold(self, seconds: float) -> None:
        """Keep each message, then wait this long before answering (a slow relay)."""
        self._handler.hold = seconds

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` messages have arrived (in a thread: use ``to_thread``)."""
        with self._handler.arrived:
            self._handler.arrived.wait_for(lambda: len(self._handler.received) >= count, timeout)
            return list(self._handler.received)

    def settings(self, **overrides: Any) -> SmtpSettings:
        if self.ca_file is None:
            values: dict[str, Any] = {"host": self.host, "port": self.port, "security": "none"}
        else:
            values = {
                "host": self.host,
                "port": self.port,
                "security": "starttls",
                "username": USER,
                "password_env": PASSWORD_ENV,
                "ca_file": self.ca_file,
            }
        values["sender"] = "surge <surge@example.test>"
        return SmtpSettings(**{**values, **overrides})
