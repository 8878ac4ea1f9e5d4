"""Every public file rendered from one ``StatusView``: the server's cache and the export.

Each localised file is rendered once per locale, as ``NAME.LOCALE.EXT``
(``status/index.zh-CN.html``, ``api/v2/summary.en.json``), and once more under its plain
name in the page's own locale (``status/index.html``): what a reader gets who asks for
no language, and what a plain web server serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from surge.notices.view import StatusView
from surge.statuspage import api, feeds, html
from surge.statuspage.files import ATOM, HTML, JAVASCRIPT, JSON, File, Snapshot
from surge.statuspage.locale import LOCALES
from surge.statuspage.site import Site, inert_json

Render = Callable[[StatusView, Site, str], bytes]


@dataclass(frozen=True)
class Kind:
    """How one public file is made and served."""

    render: Render
    content_type: str
    max_age: int
    cors: bool = False
    localised: bool = True  # one file per locale besides the plain one
    negotiated: bool = False  # the server picks the locale from Accept-Language


def _json(make: Callable[[StatusView, Site, str], Any]) -> Render:
    return lambda view, site, locale: inert_json(make(view, site, locale))


STATUS_PAGE = "status/index.html"
BANNER_JSON = "banner.json"
BANNER_JS = "banner.js"
ATOM_FEED = "history.atom"
KINDS: dict[str, Kind] = {
    STATUS_PAGE: Kind(html.status_page, HTML, 30, negotiated=True),
    ATOM_FEED: Kind(feeds.history_atom, ATOM, 60),
    **{path: Kind(_json(make), JSON, 30, cors=True) for path, make in api.FILES.items()},
    BANNER_JSON: Kind(_json(feeds.banner_json), JSON, 30, cors=True, localised=False),
}
BANNER_SCRIPT_AGE = 300  # banner.js itself changes only with surge


def variant(path: str, locale: str) -> str:
    """``api/v2/summary.json`` in zh-CN is ``api/v2/summary.zh-CN.json``."""
    stem, dot, extension = path.rpartition(".")
    return f"{stem}.{locale}.{extension}" if dot else f"{path}.{locale}"


def build(view: StatusView, site: Site) -> Snapshot:
    """Render everything; pure (the same view and site always give the same bytes)."""
    files = {item.path: item for item in _files(view, site)}
    return Snapshot(files, view.revision, view.generated_at, valid_until(view, site))


def _files(view: StatusView, site: Site) -> Iterator[File]:
    default = site.settings.locale
    for path, kind in KINDS.items():
        locales = LOCALES if kind.localised else (default,)
        for locale in locales:
            body = kind.render(view, site, locale)
            yield _file(variant(path, locale) if kind.localised else path, body, kind, locale)
            if locale == default and kind.localised:
                yield _file(path, body, kind, locale)
    yield File(BANNER_JS, feeds.banner_script(), JAVASCRIPT, BANNER_SCRIPT_AGE, cors=True)


def _file(path: str, body: bytes, kind: Kind, locale: str) -> File:
    return File(
        path,
        body,
        kind.content_type,
        kind.max_age,
        cors=kind.cors,
        locale=locale if kind.content_type == HTML else None,
        vary=kind.negotiated,
    )


def valid_until(view: StatusView, site: Site) -> datetime | None:
    """When the same store would render differently without a new publish: a banner
    expires, a maintenance window opens, or a new day starts in the page's time zone."""
    now = view.generated_at
    zone = site.settings.zone
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    moments = [datetime.combine(tomorrow, time(), zone)]
    if view.banner is not None and view.banner.expires_at is not None:
        moments.append(view.banner.expires_at)
    for item in view.upcoming:
        if item.notice.window_start is not None:
            moments.append(item.notice.window_start)
    later = [moment for moment in moments if moment > now]
    return min(later, default=None)
