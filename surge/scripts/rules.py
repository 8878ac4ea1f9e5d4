"""Rendering a script's wording, and checking any text against the script's rules.

Variables are data: they enter the template only as values in its context, never as
template text, so a var holding ``{{ 7*7 }}`` renders as those nine characters.
Approval is checked by the caller before ``render`` is called.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from surge.playbook.params import ParamError, coerce_values
from surge.scripts.match import Hit, find_patterns, find_phrases
from surge.scripts.model import LOCALES, Script, max_length
from surge.templating import TemplateError, Templates

_PLAIN = Templates()
_VARIABLE = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)(?:(?!\}\}).)*?-?\}\}", re.S)
_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)


class ScriptError(ValueError):
    """A script could not be rendered; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rendered:
    text: str
    locale: str


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``text[start:end]`` is the offending span: the phrase or promise
    found; for ``max_length`` the characters beyond the limit; for ``required``, which
    points at something missing, the empty span 0..0."""

    rule: str  # "forbidden", "promise", "required" or "max_length"
    start: int
    end: int
    found: str
    message: str
    instead: str  # the approved wording to use instead

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def render(
    script: Script,
    locale: str,
    variables: Mapping[str, Any],
    *,
    channel: str | None = None,
    templates: Templates | None = None,
) -> Rendered:
    """The script's wording in ``locale`` with ``variables``; ScriptError when a var is
    missing or invalid, the script has no such locale, or the text breaks a rule."""
    template = _template(script, locale)
    values = values_of(script, variables)
    text = fill(template, values, templates)
    broken = check(script, text, locale, channel=channel, values=values)
    if broken:
        raise ScriptError([f"the {locale} text breaks a rule: {item.message}" for item in broken])
    return Rendered(text, locale)


def values_of(script: Script, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The vars read as the script declares them; ScriptError when one is missing,
    unknown, of the wrong type, or required and empty."""
    try:
        values = coerce_values(script.vars, variables, noun="var")
    except ParamError as error:
        raise ScriptError(error.problems) from None
    problems = [f"var {name!r} is required and empty" for name in _empty_required(script, values)]
    if problems:
        raise ScriptError(problems)
    return values


def fill(template: str, values: Mapping[str, Any], templates: Templates | None = None) -> str:
    """One template of a script rendered with ``values`` (from ``values_of``), unchecked:
    the values enter only as data. ScriptError when it cannot render."""
    return _render(templates or _PLAIN, template, values)


def check(
    script: Script,
    text: str,
    locale: str,
    *,
    channel: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """Every rule ``text`` breaks, in the order of the text.

    Forbidden phrases and promises are always checked; the length only for a
    ``channel``; required facts only when ``values`` (typed vars) are given, since free
    text has no other way to know what the facts are.
    """
    instead = approved_wording(script, locale)
    rules = script.rules
    phrases = rules.forbidden_in(locale)
    found = [
        *(_hit("forbidden", hit, instead) for hit in find_phrases(text, phrases)),
        *(_hit("promise", hit, instead) for hit in find_patterns(text, rules.promises)),
        *_missing(script, text, values, instead),
        *_too_long(script, text, channel, instead),
    ]
    return sorted(found, key=lambda item: (item.start, item.end, item.rule))


def report(violations: list[Violation], instead: str) -> dict[str, Any]:
    """A check's answer as JSON, for the CLI and ``POST /api/v1/scripts/check``."""
    return {
        "pass": not violations,
        "violations": [item.as_json() for item in violations],
        "instead": instead,
    }


def approved_wording(script: Script, locale: str) -> str:
    """What to say instead: the wording in ``locale`` (else the script's first locale),
    with each var's default filled in and each var without one shown as ``[var]``."""
    chosen = locale if locale in script.locales else next(iter(script.locales), None)
    if chosen is None:
        return ""
    template = script.locales[chosen]
    shown = {
        name: f"[{name}]" if var.default is None else var.default
        for name, var in script.vars.items()
    }
    try:
        return _render(_PLAIN, template, shown)
    except ScriptError:  # a filter that needs a real value: show the template's own text
        return _TAG.sub("", _VARIABLE.sub(lambda match: f"[{match[1]}]", template)).strip()


def _template(script: Script, locale: str) -> str:
    if locale in script.locales:
        return script.locales[locale]
    if locale not in LOCALES:
        known = ", ".join(LOCALES)
        raise ScriptError([f"unknown locale {locale!r}; surge knows {known}"])
    has = ", ".join(script.locales)
    raise ScriptError([f"script {script.id!r} has no {locale} wording; it has: {has}"])


def _render(templates: Templates, template: str, values: Mapping[str, Any]) -> str:
    try:
        return str(templates.render(template, values))
    except TemplateError as error:
        raise ScriptError([str(error)]) from None


def _empty_required(script: Script, values: Mapping[str, Any]) -> list[str]:
    return [name for name in script.rules.required if _is_empty(values.get(name))]


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return not value or (isinstance(value, str) and not value.strip())
    return False


def _hit(rule: str, hit: Hit, instead: str) -> Violation:
    what = "a forbidden phrase" if rule == "forbidden" else "an unapproved promise"
    message = f"{hit.found!r} is {what} (rule: {hit.rule})"
    return Violation(rule, hit.start, hit.end, hit.found, message, instead)


def _missing(
    script: Script, text: str, values: Mapping[str, Any] | None, instead: str
) -> list[Violation]:
    if values is None:
        return []
    found = []
    for name in script.rules.required:
        shown = fact_texts(values.get(name))
        absent = [item for item in shown if item not in text and not find_phrases(text, [item])]
        if absent or not shown:
            fact = ", ".join(shown) or "empty"
            message = f"the required fact {name!r} ({fact}) is not in the text"
            found.append(Violation("required", 0, 0, "", message, instead))
    return found


def fact_texts(value: Any) -> list[str]:
    """How a var's value shows in text: each item of a list, else the value itself."""
    items = value if isinstance(value, list | tuple) else [] if value is None else [value]
    return [str(item) for item in items if str(item).strip()]


def _too_long(script: Script, text: str, channel: str | None, instead: str) -> list[Violation]:
    limit = max_length(script.rules, channel, text)
    if limit is None or len(text) <= limit:
        return []
    message = f"{len(text)} characters is more than the {limit} a {channel} message may have"
    return [Violation("max_length", limit, len(text), text[limit:], message, instead)]
