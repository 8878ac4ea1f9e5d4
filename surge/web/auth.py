"""Bearer tokens with roles. Only SHA-256 hashes are kept, in config or in the store."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from surge.config import TokenEntry
from surge.store.base import Store

TOKEN_PREFIX = "surge_"
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])
ROLES_ATTR = "__surge_roles__"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def has(self, roles: Iterable[str]) -> bool:
        return self.role == "admin" or self.role in set(roles)


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


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """Mark a handler with the roles that may call it (admin always may).

    ``alert-source`` tokens only reach handlers that name that role.
    """

    def mark(handler: Handler) -> Handler:
        setattr(handler, ROLES_ATTR, tuple(roles))
        return handler

    return mark


def required_roles(handler: object) -> tuple[str, ...] | None:
    roles = getattr(handler, ROLES_ATTR, None)
    return tuple(roles) if roles is not None else None
