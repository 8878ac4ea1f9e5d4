"""What a subscriber receives: the confirmation mail, a mail per notice version, or a webhook
body, in the subscriber's locale. Every mail carries its unsubscribe link in the text and
in RFC 8058 one-click headers (``List-Unsubscribe`` and ``List-Unsubscribe-Post``).

HTML parts are built from escaped values only: a notice's text is shown, never run.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from surge.notices.model import (
    STATE_LABELS,
    STATUS_LABELS,
    ComponentStatus,
    Localized,
    NoticeState,
    in_locale,
)
from surge.subscriptions.links import CONFIRM, UNSUBSCRIBE, make_token
from surge.subscriptions.records import NoticeUpdate, Subscriber
from surge.subscriptions.texts import word


@dataclass(frozen=True)
class Site:
    """Where links point, and the components' names per locale (id: {locale: name})."""

    public_url: str
    components: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return urlsplit(self.public_url).netloc or self.public_url

    def link(self, subscriber: Subscriber, action: str, expires: datetime | None = None) -> str:
        token = make_token(subscriber.link_key, subscriber.id, action, expires)
        return f"{self.public_url.rstrip('/')}/subscriptions/{action}/{token}"

    def component(self, component_id: str, locale: str) -> str:
        return in_locale(self.components.get(component_id) or {}, locale) or component_id

    def scope(self, components: tuple[str, ...], locale: str) -> str:
        if not components:
            return word(locale, "scope.all")
        names = "、" if locale.startswith("zh") else ", "
        shown = names.join(self.component(item, locale) for item in components)
        return word(locale, "scope.some", names=shown)


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def _headers(unsubscribe: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def _html(locale: str, paragraphs: list[str], links: Mapping[str, str]) -> str:
    """Paragraphs of plain text (escaped, line breaks kept) and links (label: URL)."""
    body = "".join(
        f"<p>{html.escape(text).replace(chr(10), '<br>')}</p>" for text in paragraphs if text
    )
    body += "".join(
        f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>'
        for label, url in links.items()
    )
    return f'<!doctype html><html lang="{html.escape(locale)}"><body>{body}</body></html>'


def confirm_mail(site: Site, subscriber: Subscriber, expires: datetime, ttl: float) -> Mail:
    requested = subscriber.requested
    locale = requested.locale if requested else subscriber.locale
    components = requested.components if requested else subscriber.components
    link = site.link(subscriber, CONFIRM, expires)
    unsubscribe = site.link(subscriber, UNSUBSCRIBE)
    scope = site.scope(components, locale)
    hours = max(round(ttl / 3600), 1)
    text = word(locale, "confirm.text", site=site.name, scope=scope, hours=hours, link=link)
    return Mail(
        word(locale, "confirm.subject", site=site.name),
        text,
        _html(locale, [text.split("\n\n")[0]], {word(locale, "page.confirm.button"): link}),
        _headers(unsubscribe),
    )


def notice_mail(site: Site, subscriber: Subscriber, update: NoticeUpdate) -> Mail:
    locale, shown = update.text(subscriber.locale)
    unsubscribe = site.link(subscriber, UNSUBSCRIBE)
    state = _label(STATE_LABELS, NoticeState, update.state, locale)
    affected = _affected(site, update, locale)
    posted = word(locale, "notice.posted", at=update.published_at.strftime("%Y-%m-%d %H:%M UTC"))
    scope = site.scope(subscriber.components, locale)
    footer = word(locale, "notice.footer", site=site.name, scope=scope, link=unsubscribe)
    page = word(locale, "notice.status_page", url=update.url) if update.url else ""
    paragraphs = [shown.title, f"{state} · {posted}", shown.body, affected]
    text = "\n\n".join(part for part in [*paragraphs, page, footer] if part)
    links = {word(locale, "link.status_page"): update.url} if update.url else {}
    links[word(locale, "page.unsubscribe")] = unsubscribe
    return Mail(
        word(locale, "notice.subject", state=state, title=shown.title),
        text + "\n",
        _html(locale, paragraphs, links),
        _headers(unsubscribe),
    )


def _affected(site: Site, update: NoticeUpdate, locale: str) -> str:
    if not update.components:
        return ""
    listed = "; ".join(
        f"{site.component(item, locale)} ({_label(STATUS_LABELS, ComponentStatus, status, locale)})"
        for item, status in update.components.items()
    )
    return word(locale, "notice.affected", components=listed)


def _label(
    labels: Mapping[Any, Localized], kind: Callable[[str], Any], value: str, locale: str
) -> str:
    """A state's or status's name as the status page shows it (the value itself if unknown)."""
    try:
        return in_locale(labels[kind(value)], locale)
    except (KeyError, ValueError):
        return value


def webhook_body(
    site: Site, subscriber: Subscriber, update: NoticeUpdate, delivery_key: str
) -> dict[str, Any]:
    """The JSON a webhook subscriber receives for one notice version."""
    locale, shown = update.text(subscriber.locale)
    return {
        "event": "notice.published",
        "delivery": delivery_key,
        "notice": {
            "id": update.notice_id,
            "version": update.version,
            "state": update.state,
            "title": shown.title,
            "body": shown.body,
            "locale": locale,
            "components": dict(update.components),
            "published_at": update.published_at.isoformat(),
            "url": update.url,
        },
        "texts": {
            key: {"title": text.title, "body": text.body} for key, text in update.texts.items()
        },
        "subscriber": {"id": subscriber.id, "components": list(subscriber.components)},
        "unsubscribe": site.link(subscriber, UNSUBSCRIBE),
    }
