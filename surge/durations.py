"""Durations as written in playbooks and config: ``500ms``, ``30s``, ``5m``, ``2h``, ``1d``."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_SECONDS = 366 * 86400.0  # anything longer is a typo, and would overflow date arithmetic
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


class DurationError(ValueError):
    """A duration string that cannot be read."""


def parse_duration(text: str | int | float) -> float:
    """Return seconds for ``text``; plain numbers are seconds, ``1h30m`` combines parts."""
    if isinstance(text, bool):
        raise DurationError(f"expected a duration such as 30s, 5m or 2h, got {text!r}")
    if isinstance(text, int | float):
        return _bounded(float(text), text)
    compact = str(text).strip().replace(" ", "")
    if not compact:
        raise DurationError("expected a duration such as 30s, 5m or 2h, got an empty string")
    position, total = 0, 0.0
    for match in _PART.finditer(compact):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(compact):
        raise DurationError(f"expected a duration such as 30s, 5m or 2h, got {text!r}")
    return _bounded(total, text)


def _bounded(seconds: float, text: object) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise DurationError(f"a duration must be a finite, positive amount, got {text!r}")
    if seconds > MAX_SECONDS:
        raise DurationError(f"{text!r} is longer than the longest duration surge takes (366d)")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest readable form: ``90`` → ``1m30s``, ``0.25`` → ``250ms``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    remaining = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
