"""Alertmanager-style label matchers: ``name="value"``, ``!=``, ``=~`` and ``!~``.

As in Alertmanager, regular expressions are anchored at both ends and a missing label
matches as the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Operator = Literal["=", "!=", "=~", "!~"]
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_MATCHER = re.compile(
    r"""^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*$""", re.S
)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Operator
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(cls, name: str, op: Operator, value: str) -> Matcher:
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(f"(?:{value})", re.S)
            except re.error as error:
                message = f"{name}{op}{value!r}: not a valid regular expression: {error}"
                raise ValueError(message) from None
        return cls(name, op, value, pattern)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._pattern is not None
        found = self._pattern.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{_escape(self.value)}"'


def parse_matcher(text: str) -> Matcher:
    """``alertname="ChannelDown"``, ``severity=~"critical|major"``, ``env!=staging``."""
    found = _MATCHER.match(text)
    if found is None:
        raise ValueError(
            f"{text!r} is not a matcher: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX"
        )
    value = found.group("value")
    if value.startswith('"'):
        if not _QUOTED.fullmatch(value):
            raise ValueError(f"{text!r}: the quoted value is not closed (or has a stray quote)")
        value = _unescape(value[1:-1])
    elif value[:1] in ("=", "~", "!"):
        raise ValueError(f"{text!r}: unexpected {value[:1]!r} after {found.group('op')!r}")
    elif '"' in value:
        raise ValueError(f'{text!r}: a stray quote; quote the whole value: NAME="VALUE"')
    return Matcher.create(found.group("name"), found.group("op"), value)  # type: ignore[arg-type]


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    return tuple(parse_matcher(text) for text in texts)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)
