"""What every public file says about the page itself, and how it writes times and JSON."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from surge.statuspage.settings import StatusPageSettings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "never changed" where a time is required
# characters that could end a <script> or a JSON-in-HTML context, written as escapes
_INERT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                        "\u2028": "\\u2028", "\u2029": "\\u2029"})  # fmt: skip


@dataclass(frozen=True)
class Site:
    url: str  # the public address of the status page, without a trailing slash
    settings: StatusPageSettings

    @classmethod
    def of(cls, public_url: str, settings: StatusPageSettings) -> Site:
        return cls(public_url.rstrip("/"), settings)

    @property
    def page_id(self) -> str:
        """A stable id for the page (Statuspage's ``page.id``): every replica says the same."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:12]

    def name(self, locale: str) -> str:
        names = self.settings.name
        return names.get(locale) or names.get("en") or next(iter(names.values()), "")

    def link(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"


def stamp(moment: datetime | None) -> str | None:
    """Statuspage's time format: ISO 8601 in UTC with milliseconds, ``…T21:05:00.000Z``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def inert_json(value: Any) -> bytes:
    """Compact UTF-8 JSON in which no text can close a script or open a tag when the
    bytes end up inside HTML (``<`` ``>`` ``&`` are written as ``\\u003c`` …)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_INERT).encode("utf-8")
