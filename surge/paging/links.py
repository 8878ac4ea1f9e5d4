"""Signed one-time links in pages: acknowledge an incident, accept or decline a call-in.

A link is ``{public_url}/page/TOKEN`` with ``TOKEN = PAGE.ACTION.EXPIRES.SIGNATURE``,
the signature an HMAC-SHA256 (keyed with the secret from ``pagers.links.secret_env``) of
the rest. The link names a page, which can be answered once; the store keeps the answer.
A GET only shows a confirmation form, since mail scanners fetch links; the POST acts.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from surge.paging.records import Answer

ACTIONS = (Answer.ACK, Answer.ACCEPT, Answer.DECLINE)


class LinkError(Exception):
    """A link that is not ours, or is broken; ``expired`` when it was ours but is too old."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Claim:
    page_id: int
    action: Answer
    expires: datetime


def make_token(secret: str, page_id: int, action: Answer, expires: datetime) -> str:
    body = f"{page_id}.{action.value}.{int(expires.timestamp())}"
    return f"{body}.{_sign(secret, body)}"


def read_token(secret: str, token: str, now: datetime) -> Claim:
    """What the link says, once its signature and expiry are checked."""
    body, _, signature = token.rpartition(".")
    parts = body.split(".")
    if len(parts) != 3 or not hmac.compare_digest(_sign(secret, body), signature):
        raise LinkError("this link is not valid: it may have been cut short or altered")
    page, action, expires = parts
    if not (page.isdigit() and expires.isdigit()) or action not in {a.value for a in ACTIONS}:
        raise LinkError("this link is not valid")
    claim = Claim(int(page), Answer(action), datetime.fromtimestamp(int(expires), UTC))
    if now >= claim.expires:
        raise LinkError(f"this link expired at {claim.expires.isoformat()}", expired=True)
    return claim


def _sign(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
