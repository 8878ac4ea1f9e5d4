"""Rendering the playbook author's templates, and only theirs.

Every string in a step's ``with`` and every ``when`` is a template written by the playbook's
author. Values that came from outside (params, alert labels, replies) enter only as
variables in the context: they are never compiled, so ``{{ 7*7 }}`` in a label stays
those nine characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

CONTEXT_NAMES = ("params", "incident", "steps", "labels", "annotations", "now")
_SINGLE_EXPRESSION = re.compile(r"^\{\{(?P<expr>(?:(?!\}\}|\{\{|\{%|\{#).)*)\}\}$", re.S)


class TemplateError(Exception):
    """A template failed to render: a missing variable, a bad filter, a sandbox refusal."""


MAX_POWER = 1000  # largest exponent ``**`` accepts
MAX_REPEAT = 100_000  # longest string or list ``*`` may build


class _Sandbox(SandboxedEnvironment):
    """The sandbox, plus limits on ``*`` and ``**`` so a template cannot eat the machine.

    Constant folding is off too: otherwise ``'a' * 10**9`` would run while compiling, when
    ``surge validate`` merely checks the syntax.
    """

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError(f"exponent {right} is larger than {MAX_POWER}")
        if operator == "*" and _repeats(left, right) > MAX_REPEAT:
            raise SecurityError(f"the result would be longer than {MAX_REPEAT}")
        return super().call_binop(context, operator, left, right)


def _repeats(left: Any, right: Any) -> int:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int):
            return len(sequence) * count
    return 0


class Templates:
    """A sandboxed Jinja2 environment with StrictUndefined, shared by one engine."""

    def __init__(self, filters: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, optimized=False)
        self.env.filters.update(filters or {})
        self._compile = lru_cache(maxsize=4096)(self.env.from_string)
        self._compile_expression = lru_cache(maxsize=4096)(self._expression)

    def _expression(self, source: str) -> Any:
        return self.env.compile_expression(source, undefined_to_none=False)

    def render(self, value: Any, context: Mapping[str, Any]) -> Any:
        """Render every string in ``value`` (mapping keys included), keeping structure.

        A string that is one ``{{ expression }}`` and nothing else keeps the expression's
        type, so ``"{{ params.count }}"`` gives an int and ``"{{ labels }}"`` a mapping.
        """
        if isinstance(value, str):
            return self._render_string(value, context)
        if isinstance(value, Mapping):
            return {
                str(self.render(key, context)): self.render(item, context)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.render(item, context) for item in value]
        return value

    def _render_string(self, text: str, context: Mapping[str, Any]) -> Any:
        if "{" not in text:
            return text
        try:
            single = _SINGLE_EXPRESSION.match(text.strip())
            if single:
                result = self._compile_expression(single.group("expr").strip())(**context)
                if isinstance(result, jinja2.Undefined):
                    result._fail_with_undefined_error()
                return result
            return self._compile(text).render(**context)
        except jinja2.UndefinedError as error:
            raise TemplateError(f"{_shorten(text)}: {error.message}") from None
        except jinja2.TemplateError as error:
            raise TemplateError(f"{_shorten(text)}: {error}") from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as error:
            raise TemplateError(f"{_shorten(text)}: {error}") from None

    def evaluate(self, expression: str, context: Mapping[str, Any]) -> bool:
        """The truth of a ``when`` expression."""
        try:
            return bool(self._compile_expression(expression)(**context))
        except jinja2.UndefinedError as error:
            raise TemplateError(f"when {expression!r}: {error.message}") from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as error:
            raise TemplateError(f"when {expression!r}: {error}") from None

    def syntax_error(self, text: str, *, expression: bool = False) -> tuple[int, str] | None:
        """``(line within the text, message)`` when the template does not parse, else None."""
        try:
            if expression:
                self.env.compile_expression(text)
            else:
                self.env.parse(text)
        except jinja2.TemplateSyntaxError as error:
            return (error.lineno or 1), error.message or "syntax error"
        return None

    def references(self, text: str, *, expression: bool = False) -> set[tuple[str, str | None]]:
        """``(context name, first key)`` pairs a template reads, e.g. ``("params", "eta")``.

        The key is None where it is not a constant (``params[name]``) or not read at all.
        """
        source = "{{ " + text + " }}" if expression else text
        try:
            tree = self.env.parse(source)
        except jinja2.TemplateSyntaxError:
            return set()
        found: set[tuple[str, str | None]] = set()
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            assert isinstance(node, nodes.Getattr | nodes.Getitem)
            inner = node.node
            if isinstance(inner, nodes.Name) and inner.ctx == "load":
                key = node.attr if isinstance(node, nodes.Getattr) else _const(node.arg)
                found.add((inner.name, key))
        assigned = {name.name for name in tree.find_all(nodes.Name) if name.ctx == "store"}
        for name in tree.find_all(nodes.Name):
            if name.ctx == "load" and name.name not in assigned:
                found.add((name.name, None))
        return found


def _const(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= 60 else flat[:57] + "...")
