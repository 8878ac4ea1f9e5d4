"""Reading YAML trees into typed values while collecting every problem, not just the first."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from surge.durations import DurationError, parse_duration
from surge.yamlpos import Pos, YamlProblem, YNode


class Checker:
    """Collects ``file:line:col: message`` problems while a tree is read."""

    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []

    def error(self, pos: Pos, message: str) -> None:
        self.problems.append(YamlProblem(pos, message))

    def mapping(self, node: YNode, what: str) -> dict[str, YNode] | None:
        if isinstance(node.value, dict):
            return node.value
        self.error(node.pos, f"{what} must be a mapping (key: value), got {_kind(node.value)}")
        return None

    def sequence(self, node: YNode, what: str) -> list[YNode] | None:
        if isinstance(node.value, list):
            return node.value
        self.error(node.pos, f"{what} must be a list, got {_kind(node.value)}")
        return None

    def keys(
        self, node: YNode, what: str, allowed: Iterable[str], required: Iterable[str] = ()
    ) -> dict[str, YNode] | None:
        """The mapping at ``node``, with unknown keys and missing required keys reported."""
        fields = self.mapping(node, what)
        if fields is None:
            return None
        allowed = list(allowed)
        for key in fields:
            if key not in allowed:
                self.error(
                    node.key_pos[key], f"unknown key {key!r} in {what}{_suggest(key, allowed)}"
                )
        for key in required:
            if key not in fields:
                self.error(node.pos, f"{what} is missing required key {key!r}")
        return fields

    def string(self, node: YNode, what: str, *, empty: bool = False) -> str | None:
        if isinstance(node.value, str) and (empty or node.value.strip()):
            return node.value
        if isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return str(node.value)
        self.error(node.pos, f"{what} must be a non-empty string, got {_kind(node.value)}")
        return None

    def choice(self, node: YNode, what: str, choices: Iterable[str]) -> str | None:
        choices = list(choices)
        value = self.string(node, what)
        if value is None:
            return None
        if value not in choices:
            self.error(node.pos, f"{what} must be one of {', '.join(choices)}; got {value!r}")
            return None
        return value

    def integer(self, node: YNode, what: str, *, minimum: int | None = None) -> int | None:
        value = node.value
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(node.pos, f"{what} must be a whole number, got {_kind(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(node.pos, f"{what} must be at least {minimum}, got {value}")
            return None
        return value

    def number(self, node: YNode, what: str) -> float | None:
        value = node.value
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.error(node.pos, f"{what} must be a number, got {_kind(value)}")
            return None
        return float(value)

    def boolean(self, node: YNode, what: str) -> bool | None:
        if isinstance(node.value, bool):
            return node.value
        self.error(node.pos, f"{what} must be true or false, got {_kind(node.value)}")
        return None

    def duration(self, node: YNode, what: str) -> float | None:
        try:
            return parse_duration(node.value)
        except DurationError as error:
            self.error(node.pos, f"{what}: {error}")
            return None

    def strings(self, node: YNode, what: str) -> list[str]:
        items = self.sequence(node, what)
        if items is None:
            return []
        found = (self.string(item, f"each entry of {what}") for item in items)
        return [item for item in found if item is not None]

    def string_map(self, node: YNode, what: str) -> dict[str, str]:
        fields = self.mapping(node, what)
        if fields is None:
            return {}
        result: dict[str, str] = {}
        for key, child in fields.items():
            value = self.string(child, f"{what}.{key}", empty=True)
            if value is not None:
                result[key] = value
        return result


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a long string"
    return f"{type(value).__name__} {value!r}"


def _suggest(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(allowed)}"
