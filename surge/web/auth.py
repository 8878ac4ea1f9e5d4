"""Bearer tokens with roles. Only SHA-256 hashes are kept, in config or in the store."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from surge.config import TokenEntry
from surge.roles import ADMIN, Permission, permission_of
from surge.store.base import Store

TOKEN_PREFIX = "surge_"
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])
PERMISSION_ATTR = "__surge_permission__"
PUBLIC_ATTR = "__surge_public__"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def has(self, roles: Iterable[str]) -> bool:
        return self.role == ADMIN or self.role in set(roles)

    def may(self, permission: Permission) -> bool:
        return permission.allows(self.role)


def new_token() -> tuple[str, str]:
    """A fresh token and its hash; the token is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # surrogateescape: a header with bytes that are not UTF-8 still hashes (to no known token)
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


async def authenticate(
    token: str, configured: Iterable[TokenEntry], store: Store
) -> Principal | None:
    return await authenticate_digest(hash_token(token), configured, store)


async def authenticate_digest(
    digest: str, configured: Iterable[TokenEntry], store: Store
) -> Principal | None:
    """Who the token with this SHA-256 is now (None once it is revoked or removed): the
    console keeps only the hash of the token a session signed in with, and asks again."""
    for entry in configured:
        if hmac.compare_digest(entry.sha256, digest):
            return Principal(entry.name, entry.role)
    record = await store.find_token(digest)
    return Principal(record.name, record.role) if record else None


def requires(*grants: Permission | str) -> Callable[[Handler], Handler]:
    """Mark a handler with the permission it needs (see ``surge.roles``; admin always has it).

    Name one ``Permission``; bare role names still work but make a permission the docs'
    table does not know, which the route test reports.
    """
    permission = permission_of(grants)

    def mark(handler: Handler) -> Handler:
        setattr(handler, PERMISSION_ATTR, permission)
        return handler

    return mark


def public(reason: str) -> Callable[[Handler], Handler]:
    """Mark a handler that needs no token, saying why (every route makes one decision)."""
    if not reason.strip():
        raise ValueError("say why the route is public")

    def mark(handler: Handler) -> Handler:
        setattr(handler, PUBLIC_ATTR, reason)
        return handler

    return mark


def required_permission(handler: object) -> Permission | None:
    """What the handler needs; None for a public route (or one that decided nothing)."""
    found = getattr(handler, PERMISSION_ATTR, None)
    return found if isinstance(found, Permission) else None


def public_reason(handler: object) -> str | None:
    found = getattr(handler, PUBLIC_ATTR, None)
    return found if isinstance(found, str) else None


CONSOLE_ATTR = "__surge_console__"


@dataclass(frozen=True)
class ConsoleAccess:
    """What a console page needs: a signed-in session whose role holds ``permission``, or
    with None no session (the sign-in page, the console's script and style; ``reason``)."""

    permission: Permission | None
    reason: str = ""


def console_page(permission: Permission) -> Callable[[Handler], Handler]:
    """Mark a handler of the operator console (surge/web/console): it is reached with the
    session cookie of a console sign-in, never a bearer token, and is no /api route."""
    return _console(ConsoleAccess(permission))


def console_open(reason: str) -> Callable[[Handler], Handler]:
    """Mark a console handler that needs no session, saying why."""
    if not reason.strip():
        raise ValueError("say why the page needs no session")
    return _console(ConsoleAccess(None, reason))


def _console(access: ConsoleAccess) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        setattr(handler, CONSOLE_ATTR, access)
        return handler

    return mark


def console_access(handler: object) -> ConsoleAccess | None:
    """The console's decision for a handler; None for an API (or other) route."""
    found = getattr(handler, CONSOLE_ATTR, None)
    return found if isinstance(found, ConsoleAccess) else None
