"""How problems name things: shown values and did-you-mean hints, phrased one way."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any


def show(value: Any) -> str:
    """A value as a problem message quotes it, cut short when long."""
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def hint(name: str, known: Sequence[str]) -> str:
    """``; did you mean 'x'?`` for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def suggestion(name: str, known: Sequence[str], what: str = "known") -> str:
    """A did-you-mean hint, or else the list of what is known (shortened)."""
    found = hint(name, known)
    if found or not known:
        return found
    shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    return f"; {what}: {shown}"


def unknown(what: str, name: str, known: Iterable[object]) -> str:
    """``unknown step 'x'; did you mean 'y'?``"""
    return f"unknown {what} {name!r}{suggestion(name, [str(item) for item in known])}"


def is_number(value: Any) -> bool:
    """An int or float, but not a bool (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
