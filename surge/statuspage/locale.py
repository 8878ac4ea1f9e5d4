"""Which of zh-CN, zh-TW and en a reader gets: ``?lang=`` first, then Accept-Language."""

from __future__ import annotations

LOCALES = ("zh-CN", "zh-TW", "en")
DEFAULT = "en"
# language tags (lower case) that mean one of ours beyond its own name
_ALIASES = {
    "zh": "zh-CN",
    "zh-hans": "zh-CN",
    "zh-sg": "zh-CN",
    "zh-my": "zh-CN",
    "zh-hant": "zh-TW",
    "zh-hk": "zh-TW",
    "zh-mo": "zh-TW",
}
_MAX_HEADER = 512  # longer Accept-Language headers are read only this far


def known(tag: str) -> str | None:
    """Our locale for a language tag (``zh-Hant-TW`` is zh-TW, ``en-GB`` en), or None."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    for size in range(len(parts), 0, -1):
        prefix = "-".join(parts[:size])
        for locale in LOCALES:
            if prefix == locale.lower():
                return locale
        if prefix in _ALIASES:
            return _ALIASES[prefix]
    return None


def negotiate(query: str | None, header: str | None, default: str = DEFAULT) -> str:
    """``?lang=`` when it names one of ours, else the best of Accept-Language, else
    ``default``."""
    if query and (chosen := known(query)):
        return chosen
    best: tuple[float, int, str] | None = None
    for order, item in enumerate((header or "")[:_MAX_HEADER].split(",")):
        tag, _, params = item.partition(";")
        weight = _weight(params)
        locale = known(tag)
        if locale is None or weight <= 0:
            continue
        candidate = (-weight, order, locale)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else default


def _weight(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                return 0.0
            return weight if 0.0 <= weight <= 1.0 else 0.0
    return 1.0
