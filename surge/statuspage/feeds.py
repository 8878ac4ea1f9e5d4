"""``/history.atom`` (RFC 4287) and ``/banner.json`` from a ``StatusView``.

The feed has one entry per notice, updated whenever a version of it is published; its
content is the notice's updates as HTML, escaped twice over (once as HTML, once as XML),
so a notice's text is only ever shown as text by a feed reader.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from importlib.resources import files
from typing import Any

from surge.notices.model import KIND_LABELS, STATE_LABELS, in_locale
from surge.notices.view import NoticeView, StatusView
from surge.statuspage.api import page, updated_at
from surge.statuspage.site import Site, stamp

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50


def history_atom(view: StatusView, site: Site, locale: str) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": locale})
    _text(feed, "id", site.link(f"history.atom?lang={locale}"))
    _text(feed, "title", site.name(locale))
    _text(feed, "subtitle", view.description(locale))
    _text(feed, "updated", stamp(updated_at(view)))
    ET.SubElement(
        feed, "link", {"rel": "self", "type": "application/atom+xml", "href": site.link(
            f"history.atom?lang={locale}")}
    )  # fmt: skip
    ET.SubElement(
        feed, "link", {"rel": "alternate", "type": "text/html", "href": site.link(
            f"status?lang={locale}")}
    )  # fmt: skip
    author = ET.SubElement(feed, "author")
    _text(author, "name", site.name(locale))
    _text(author, "uri", site.link("status"))
    _text(feed, "generator", "surge")
    for item in view.notices[:FEED_ENTRIES]:
        feed.append(_entry(item, site, locale))
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _entry(item: NoticeView, site: Site, locale: str) -> ET.Element:
    notice = item.notice
    entry = ET.Element("entry")
    _text(entry, "id", site.link(f"status#notice-{notice.id}"))
    _text(entry, "title", in_locale(notice.title, locale))
    _text(entry, "published", stamp(notice.published_at or notice.created_at))
    _text(entry, "updated", stamp(notice.updated_at))
    ET.SubElement(
        entry, "link", {"rel": "alternate", "type": "text/html", "href": site.link(
            f"status?lang={locale}#notice-{notice.id}")}
    )  # fmt: skip
    ET.SubElement(
        entry,
        "category",
        {"term": notice.kind.value, "label": in_locale(KIND_LABELS[notice.kind], locale)},
    )
    content = ET.SubElement(entry, "content", {"type": "html"})
    content.text = _updates_html(item, locale)
    return entry


def _updates_html(item: NoticeView, locale: str) -> str:
    parts = []
    for version in item.versions:
        state = html.escape(in_locale(STATE_LABELS[version.state], locale))
        when = html.escape(stamp(version.published_at or version.at) or "")
        body = html.escape(in_locale(version.body, locale)).replace("\n", "<br>")
        parts.append(f"<p><strong>{state}</strong> <small>{when}</small><br>{body}</p>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str | None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text or ""
    return child


def banner_json(view: StatusView, site: Site, locale: str) -> dict[str, Any]:
    """The active banner in every locale (``banner.js`` picks one), or ``null``."""
    banner = view.banner
    shown = None
    if banner is not None:
        shown = {
            "id": str(banner.id),
            "severity": banner.severity.value,
            "text": dict(banner.text),
            "link": banner.link or None,
            "starts_at": stamp(banner.shown_at),
            "expires_at": stamp(banner.expires_at),
            "updated_at": stamp(banner.shown_at),
        }
    return {"page": page(view, site, locale), "banner": shown}


def banner_script() -> bytes:
    """``banner.js``: the same for every page; it reads ``banner.json`` itself."""
    return files("surge.statuspage").joinpath("banner.js").read_bytes()
