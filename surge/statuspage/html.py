"""``/status``: the status page as HTML, server-rendered by Jinja2 with autoescaping.

One page per locale, nothing loaded from anywhere (the CSS is inline, there is no
script), so it works from the static export behind any web server and under a strict
Content-Security-Policy. Every text that came from a notice is only ever a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import jinja2

from surge.notices.model import (
    STATE_LABELS,
    STATUS_LABELS,
    ComponentGroup,
    ComponentStatus,
    NoticeState,
    in_locale,
)
from surge.notices.view import ComponentView, NoticeView, StatusView
from surge.statuspage.api import updated_at
from surge.statuspage.locale import LOCALES
from surge.statuspage.site import Site
from surge.statuspage.words import LANGUAGE_NAMES, WORDS

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Day:
    """One day of the page's history, in the page's time zone."""

    day: date
    notices: tuple[NoticeView, ...]


@dataclass(frozen=True)
class Section:
    """Components under one heading: a group, or those in none (``group`` None)."""

    group: ComponentGroup | None
    components: tuple[ComponentView, ...]


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def status_page(view: StatusView, site: Site, locale: str) -> bytes:
    zone = site.settings.zone

    def local(moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    words = WORDS[locale]
    context = {
        "view": view,
        "site": site,
        "locale": locale,
        "locales": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        "w": words,
        "title": site.name(locale),
        "overall": view.description(locale),
        "indicator": view.indicator,
        "sections": sections(view),
        "now": (*view.incidents, *view.active_maintenance),
        "days": history(view, site),
        "updated": updated_at(view),
        "zone": site.settings.time_zone,
        "text": lambda texts: in_locale(texts, locale),
        "status_label": lambda status: in_locale(STATUS_LABELS[status], locale),
        "state_label": lambda state: in_locale(STATE_LABELS[NoticeState(state)], locale),
        "status_class": _status_class,
        "local": local,
        "iso": lambda moment: moment.isoformat() if moment else "",
        "component_name": _names(view, locale),
    }
    return environment().get_template("status.html.j2").render(context).encode("utf-8")


def sections(view: StatusView) -> list[Section]:
    """Each group's components under its name, in config order; ungrouped ones last."""
    found = [Section(group, view.in_group(group)) for group in view.groups]
    loose = view.in_group(None)
    if loose:
        found.append(Section(None, loose))
    return found


def history(view: StatusView, site: Site) -> list[Day]:
    """The last ``days`` days, newest first, each with the notices that began on it."""
    zone = site.settings.zone
    today = view.generated_at.astimezone(zone).date()
    began: dict[date, list[NoticeView]] = {}
    for item in view.notices:
        start = item.notice.published_at or item.notice.created_at
        began.setdefault(start.astimezone(zone).date(), []).append(item)
    days = [today - timedelta(days=back) for back in range(view.days)]
    return [Day(day, tuple(began.get(day, ()))) for day in days]


def _status_class(status: ComponentStatus | str) -> str:
    return str(getattr(status, "value", status)).replace("_", "-")


def _names(view: StatusView, locale: str) -> dict[str, str]:
    return {item.id: in_locale(item.component.name, locale) for item in view.components}
