"""Just enough PromQL for the metrics simulator: the binary operators that join a
playbook's conditions (`>`, `<`, `*`, `and`, `or`, …, with PromQL's precedence and
one-to-one label matching) over **signals**, the sub-expressions the simulated world
knows the value of (``sum by (channel) (rate(cs_channel_errors_total[5m]))``).

A condition such as ``A > 3 * (B or 0 * A) and A > 0.05`` is read into a tree whose
leaves are signals and numbers; the simulator evaluates the tree against the world's
samples at a moment, exactly as Prometheus would for these operators. Anything else
(a function around a condition, ``on``/``ignoring``, ``bool``) is not supported and is
reported, so the demo says which query it cannot answer rather than answering wrongly.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs: a series' identity
Vector = dict[Labels, float]
Value = Vector | float  # an instant vector, or a scalar

# binding power of each operator, loosest first (PromQL: or < and/unless < comparisons <
# + - < * / %)
_POWER = {
    "or": 1,
    "and": 2,
    "unless": 2,
    **dict.fromkeys(("==", "!=", ">", "<", ">=", "<="), 3),
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else float("nan"),
    "%": lambda a, b: a % b if b else float("nan"),
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_OPERATOR = re.compile(r"==|!=|>=|<=|[><+\-*/%]|(?:and|or|unless)\b")


class Unsupported(ValueError):
    """The expression uses something this subset does not evaluate."""


@dataclass(frozen=True)
class Signal:
    text: str  # the PromQL the world knows the value of


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Signal | Number | Binary


def squash(text: str) -> str:
    """PromQL with runs of whitespace as one space, none inside brackets' edges, so that
    a folded YAML block and a one-line query compare equal."""
    text = re.sub(r"\s+", " ", text.strip())
    return re.sub(r"\s*([()\[\],])\s*", r"\1", text)


def parse(text: str, signals: Iterable[str]) -> Node:
    """The expression's tree, its leaves the longest known signals at each place."""
    known = sorted({squash(signal) for signal in signals}, key=len, reverse=True)
    parser = _Parser(squash(text), known)
    node = parser.expression(0)
    parser.skip()
    if parser.at < len(parser.text):
        raise Unsupported(f"cannot read {parser.text[parser.at :]!r} in {text.strip()!r}")
    return node


def evaluate(node: Node, samples: Callable[[str], Vector]) -> Value:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Signal):
        return dict(samples(node.text))
    return _binary(node.op, evaluate(node.left, samples), evaluate(node.right, samples))


def labels(mapping: Mapping[str, str]) -> Labels:
    return tuple(sorted(mapping.items()))


class _Parser:
    def __init__(self, text: str, signals: list[str]) -> None:
        self.text = text
        self.signals = signals
        self.at = 0

    def skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at] == " ":
            self.at += 1

    def expression(self, power: int) -> Node:
        left = self.operand()
        while True:
            self.skip()
            found = _OPERATOR.match(self.text, self.at)
            if found is None or _POWER[found.group()] <= power:
                return left
            self.at = found.end()
            op = found.group()
            left = Binary(op, left, self.expression(_POWER[op]))

    def operand(self) -> Node:
        self.skip()
        for signal in self.signals:
            if self.text.startswith(signal, self.at):
                self.at += len(signal)
                return Signal(signal)
        if self.text.startswith("(", self.at):
            self.at += 1
            inner = self.expression(0)
            self.skip()
            if not self.text.startswith(")", self.at):
                raise Unsupported(f"a ( is not closed in {self.text!r}")
            self.at += 1
            return inner
        number = _NUMBER.match(self.text, self.at)
        if number is not None:
            self.at = number.end()
            return Number(float(number.group()))
        rest = self.text[self.at :]
        raise Unsupported(f"the simulated world has no series for {rest!r}")


def _binary(op: str, left: Value, right: Value) -> Value:
    if op in ("and", "or", "unless"):
        if not isinstance(left, dict) or not isinstance(right, dict):
            raise Unsupported(f"`{op}` joins two vectors")
        if op == "and":
            return {key: value for key, value in left.items() if key in right}
        if op == "unless":
            return {key: value for key, value in left.items() if key not in right}
        return {**right, **left}  # the left side wins where both have the series
    if op in _COMPARE:
        test = _COMPARE[op]
        if isinstance(left, dict):
            return {
                k: v
                for k, v in left.items()
                if (other := _side(right, k)) is not None and test(v, other)
            }
        if isinstance(right, dict):
            return {k: v for k, v in right.items() if test(left, v)}
        raise Unsupported("comparing two numbers needs `bool`")
    apply = _ARITHMETIC[op]
    if isinstance(left, dict):
        return {
            k: apply(v, other) for k, v in left.items() if (other := _side(right, k)) is not None
        }
    if isinstance(right, dict):
        return {k: apply(left, v) for k, v in right.items()}
    return apply(left, right)


def _side(value: Value, key: Labels) -> float | None:
    """The other operand's value for the series ``key``: a scalar, or the series with the
    same labels (one-to-one matching)."""
    if isinstance(value, dict):
        return value.get(key)
    return value
