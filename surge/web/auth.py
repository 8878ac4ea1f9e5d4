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
    digest = hash_token(token)
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
