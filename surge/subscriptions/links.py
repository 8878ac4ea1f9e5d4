"""The signed links in subscription mails: confirm (expires) and unsubscribe (does not).

A link is ``{public_url}/subscriptions/{ACTION}/TOKEN`` with ``TOKEN =
SUBSCRIBER.ACTION.EXPIRES.SIGNATURE``: the signature is an HMAC-SHA256, keyed with the
subscriber's own random link key (kept in the store, never shown), of the rest; EXPIRES
is a Unix time, 0 for never. Removing a subscriber removes its key, so its old links
stop working; one subscriber's link says nothing about another's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from surge.paging.links import LinkError as LinkError  # one error for every signed link

CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
ACTIONS = (CONFIRM, UNSUBSCRIBE)
_SIGNATURE = 32  # hex digits kept of the HMAC (128 bits)


@dataclass(frozen=True)
class Claim:
    subscriber_id: int
    action: str
    expires: datetime | None


def new_link_key() -> str:
    return secrets.token_urlsafe(32)


def make_token(key: str, subscriber_id: int, action: str, expires: datetime | None) -> str:
    body = f"{subscriber_id}.{action}.{int(expires.timestamp()) if expires else 0}"
    return f"{body}.{_sign(key, body)}"


def read_claim(token: str) -> Claim:
    """What the token says, before its signature is checked (the key is the subscriber's)."""
    parts = token.split(".")
    if len(parts) != 4:
        raise LinkError("this link is not valid: it may have been cut short or altered")
    subscriber, action, expires, _ = parts
    if not (subscriber.isascii() and subscriber.isdigit() and len(subscriber) <= 18):
        raise LinkError("this link is not valid")
    if action not in ACTIONS or not (expires.isascii() and expires.isdigit()) or len(expires) > 12:
        raise LinkError("this link is not valid")
    when = datetime.fromtimestamp(int(expires), UTC) if int(expires) else None
    return Claim(int(subscriber), action, when)


def verify(key: str, token: str, claim: Claim, now: datetime) -> None:
    """Raise LinkError unless ``key`` signed ``token`` and it has not expired."""
    body, _, signature = token.rpartition(".")
    if not hmac.compare_digest(_sign(key, body), signature):
        raise LinkError("this link is not valid: it may have been cut short or altered")
    if claim.expires is not None and now >= claim.expires:
        raise LinkError(f"this link expired at {claim.expires.isoformat()}", expired=True)


def _sign(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()[:_SIGNATURE]
