"""One public file as the server answers it and the export writes it: bytes, type, ETag.

A ``Snapshot`` is every public file rendered from one view, keyed by its path in the
exported tree (``api/v2/summary.json``, ``status/index.zh-CN.html``…). Serving one is a
dict look-up and a comparison of ETags: nothing is rendered, nothing is read from the
store, per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"


@dataclass(frozen=True)
class File:
    """A rendered public file and the headers it is served with."""

    path: str  # in the exported tree, without a leading slash
    body: bytes
    content_type: str
    max_age: int  # seconds a browser or proxy may keep it without asking again
    cors: bool = False  # Access-Control-Allow-Origin: * (JSON and the banner)
    locale: str | None = None  # Content-Language, for the localised pages
    vary: bool = False  # chosen by Accept-Language where no ?lang= says
    etag: str = field(init=False)
    headers: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha256(self.body).hexdigest()[:32]
        object.__setattr__(self, "etag", f'"{digest}"')
        headers = {
            "Content-Type": self.content_type,
            "ETag": self.etag,
            "Cache-Control": f"public, max-age={self.max_age}",
            "X-Content-Type-Options": "nosniff",
        }
        if self.cors:
            headers["Access-Control-Allow-Origin"] = "*"
            headers["Access-Control-Expose-Headers"] = "ETag"
        if self.locale is not None:
            headers["Content-Language"] = self.locale
        if self.vary:
            headers["Vary"] = "Accept-Language"
        if self.content_type == HTML:  # the page needs nothing from anywhere else
            headers["Content-Security-Policy"] = (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            )
            headers["Referrer-Policy"] = "no-referrer"
        object.__setattr__(self, "headers", headers)

    def fresh(self, if_none_match: str | None) -> bool:
        """Whether the client's ``If-None-Match`` already names this body (answer 304)."""
        return matches(if_none_match, self.etag)


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison of ``If-None-Match`` against one strong ETag."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.removeprefix("W/") == etag:
            return True
    return False


@dataclass(frozen=True)
class Snapshot:
    """Every public file rendered from one view of the notices."""

    files: Mapping[str, File]
    revision: int  # the store's status revision the view was read at
    built_at: datetime
    valid_until: datetime | None  # a banner expires or a maintenance window opens then

    def __iter__(self) -> Iterator[File]:
        return iter(self.files.values())

    def __getitem__(self, path: str) -> File:
        return self.files[path]
