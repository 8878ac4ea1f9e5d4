"""The console's words in the reader's locale: the ``lang`` cookie (the switch), else
``Accept-Language``, else English."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from surge.web.console.messages import MESSAGES
from surge.web.locales import LOCALES, best_locale

LANG_COOKIE = "surge_console_lang"
_COLUMN = {"en": 0, "zh-CN": 1, "zh-TW": 2}
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文", "zh-TW": "繁體中文"}


@dataclass(frozen=True)
class Words:
    locale: str

    def __call__(self, key: str, **values: object) -> str:
        text = MESSAGES[key][_COLUMN[self.locale]]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in MESSAGES


def request_locale(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LOCALES:
        return chosen
    return best_locale(request.headers.get("Accept-Language", ""))
