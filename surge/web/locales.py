"""Which of surge's locales (zh-CN, zh-TW, en) a person reading a page wants.

``best_locale`` reads an ``Accept-Language`` header (RFC 9110: tags with ``q`` weights):
Traditional Chinese (zh-TW, zh-HK, zh-MO, zh-Hant) gets zh-TW, any other Chinese
zh-CN, and everything else English. Pages for people (the console, the status page) use it
unless the reader chose a locale.
"""

from __future__ import annotations

LOCALES = ("zh-CN", "zh-TW", "en")
DEFAULT_LOCALE = "en"
_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def locale_of(tag: str) -> str | None:
    """The surge locale for one language tag, or None when it is none of them."""
    tag = tag.strip().lower().replace("_", "-")
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-TW" if tag.startswith(_TRADITIONAL) else "zh-CN"
    return None


def best_locale(accept_language: str, default: str = DEFAULT_LOCALE) -> str:
    """The locale the header prefers most (the first of equal weights), else ``default``."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:50]):
        tag, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        found = locale_of(tag)
        if found is not None and weight > 0:
            choices.append((-weight, position, found))
    return min(choices)[2] if choices else default
