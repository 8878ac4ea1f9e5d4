"""Console sessions: a bearer token exchanged at sign-in for a signed session cookie.

The cookie (HttpOnly, SameSite=Strict, path /console/, Secure behind https) carries a
random session id and its HMAC; the store keeps only the id's SHA-256 with the hash of the
token signed in with (``ConsoleSession``). Each request checks the signature, the record
(not ended, not expired) and the token again, so revoking a token ends its sessions at
once. Forms carry a CSRF token, the HMAC of the session id for another purpose; before
sign-in, a pre-session cookie's nonce stands in for the id (the sign-in and language
forms). The secret comes from the environment variable ``console.secret_env`` names, or is
made once and kept in the store, so every replica signs alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from surge.config import Config
from surge.store.base import Store
from surge.store.records import ConsoleSession
from surge.web.auth import Principal, authenticate_digest

SESSION_COOKIE = "surge_console"
PRE_COOKIE = "surge_console_pre"
COOKIE_PATH = "/console/"
PRE_TTL = 3600  # a sign-in form is good for an hour
EXPIRED_GRACE = 3600


class SecretMissing(Exception):
    """``console.secret_env`` names a variable that is not set."""


@dataclass(frozen=True)
class Current:
    """The signed-in session of a request."""

    session_id: str
    record: ConsoleSession
    principal: Principal


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class Sessions:
    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._secret: bytes | None = None

    async def secret(self) -> bytes:
        settings = self.config.console
        if settings.secret_env:
            configured = settings.configured_secret()
            if configured is None:
                raise SecretMissing(
                    f"console.secret_env names {settings.secret_env}, which is not set"
                )
            return configured.encode()
        if self._secret is None:
            stored = await self.store.console_secret(secrets.token_urlsafe(32), self.clock())
            self._secret = stored.encode()
        return self._secret

    async def sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(await self.secret(), f"{purpose}\0{value}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    async def _signed(self, purpose: str, cookie: str | None) -> str | None:
        """The value of a ``value.signature`` cookie whose signature holds."""
        value, _, signature = (cookie or "").partition(".")
        if not value or not signature or len(cookie or "") > 200:
            return None
        expected = await self.sign(purpose, value)
        return value if hmac.compare_digest(expected, signature) else None

    # -- signing in and out --

    async def begin(
        self, response: web.StreamResponse, request: web.Request, principal: Principal, token: str
    ) -> None:
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        ttl = self.config.console.session_ttl
        record = ConsoleSession(
            key=_digest(session_id),
            token_sha256=_digest(token),
            name=principal.name,
            role=principal.role,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            address=request.remote or "",
        )
        await self.store.purge_console_sessions(now - timedelta(days=1))
        await self.store.add_console_session(record)
        value = f"{session_id}.{await self.sign('session', session_id)}"
        # the browser keeps the cookie an hour longer than the session lasts, so that the
        # sign-in page can say that it expired (the server has the last word on that)
        self._set(response, request, SESSION_COOKIE, value, math.ceil(ttl) + EXPIRED_GRACE)
        response.del_cookie(PRE_COOKIE, path=COOKIE_PATH)

    async def current(self, request: web.Request) -> Current | None:
        session_id = await self._signed("session", request.cookies.get(SESSION_COOKIE))
        if session_id is None:
            return None
        record = await self.store.console_session(_digest(session_id))
        if record is None or record.ended_at is not None or record.expires_at <= self.clock():
            return None
        principal = await authenticate_digest(record.token_sha256, self.config.tokens, self.store)
        return Current(session_id, record, principal) if principal else None

    async def end(self, response: web.StreamResponse, current: Current | None) -> None:
        if current is not None:
            await self.store.end_console_session(current.record.key, self.clock())
        response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)

    # -- forms --

    async def csrf_token(self, request: web.Request, current: Current | None) -> str:
        """The token a form on this page carries: of the session, or of the pre-session
        nonce (made now, and set as a cookie by ``keep_nonce``, when there is none)."""
        if current is not None:
            return await self.sign("csrf", current.session_id)
        nonce = await self._signed("pre", request.cookies.get(PRE_COOKIE))
        if nonce is None:
            nonce = request.get(_NEW_NONCE) or secrets.token_urlsafe(24)
            request[_NEW_NONCE] = nonce
        return await self.sign("csrf-pre", nonce)

    async def keep_nonce(self, request: web.Request, response: web.StreamResponse) -> None:
        nonce = request.get(_NEW_NONCE)
        if nonce and not response.prepared:
            value = f"{nonce}.{await self.sign('pre', nonce)}"
            self._set(response, request, PRE_COOKIE, value, PRE_TTL)

    async def form_is_genuine(
        self, request: web.Request, current: Current | None, sent: str
    ) -> bool:
        if current is not None:
            expected = await self.sign("csrf", current.session_id)
        else:
            nonce = await self._signed("pre", request.cookies.get(PRE_COOKIE))
            if nonce is None:
                return False
            expected = await self.sign("csrf-pre", nonce)
        return hmac.compare_digest(expected, sent)

    def _set(
        self, response: web.StreamResponse, request: web.Request, name: str, value: str, ttl: int
    ) -> None:
        secure = request.secure or self.config.public_url.startswith("https://")
        response.set_cookie(
            name,
            value,
            max_age=ttl,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=secure,
        )


_NEW_NONCE = web.RequestKey("console_new_nonce", str)
