"""Rendering a notice's texts from an approved response script, in every locale it has.

Only an approved script renders (its approval pins the content hash), with the sandbox's
StrictUndefined; the variables are values in the template's context, never templates,
so ``<script>`` or ``{{ 7*7 }}`` in a variable is kept as those characters. The title
comes from the script's optional ``titles``; the body from its ``locales``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surge.scripts.active import Scripts
from surge.scripts.approval import require_approved
from surge.scripts.model import Script
from surge.scripts.rules import ScriptError, Violation, check, fill, values_of


@dataclass(frozen=True)
class LocaleText:
    """One locale's title (empty when the script has no title there) and body, and every
    rule each breaks."""

    locale: str
    title: str
    body: str
    title_violations: tuple[Violation, ...] = ()
    body_violations: tuple[Violation, ...] = ()

    @property
    def violations(self) -> tuple[Violation, ...]:
        return (*self.title_violations, *self.body_violations)

    def as_json(self) -> dict[str, Any]:
        return {
            "locale": self.locale,
            "title": self.title,
            "body": self.body,
            "title_violations": [item.as_json() for item in self.title_violations],
            "body_violations": [item.as_json() for item in self.body_violations],
        }


@dataclass(frozen=True)
class Rendering:
    """A script rendered in every locale it has: what a draft is made of, or a preview."""

    script: Script
    values: Mapping[str, Any]  # the vars as the script declares them (typed)
    texts: tuple[LocaleText, ...]

    @property
    def ok(self) -> bool:
        return not any(text.violations for text in self.texts)

    @property
    def titles(self) -> dict[str, str]:
        return {text.locale: text.title for text in self.texts if text.title}

    @property
    def bodies(self) -> dict[str, str]:
        return {text.locale: text.body for text in self.texts}

    def problems(self) -> list[str]:
        return [
            f"the {text.locale} {'title' if item in text.title_violations else 'text'} breaks "
            f"a rule: {item.message}"
            for text in self.texts
            for item in text.violations
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "script": self.script.id,
            "content_hash": self.script.content_hash,
            "vars": dict(self.values),
            "ok": self.ok,
            "locales": [text.as_json() for text in self.texts],
        }


async def render_notice(
    scripts: Scripts | None, script_id: str, variables: Mapping[str, Any]
) -> Rendering:
    """The script's title and text in every locale, with the rules each breaks.

    Raises ScriptError when there are no scripts, no such script, or the vars do not fit
    it, and NotApproved when the script is not approved as it is now."""
    if scripts is None:
        raise ScriptError(["no response scripts are loaded (scripts: in config)"])
    script = scripts.get(script_id)
    await require_approved(scripts.store, script)
    values = values_of(script, variables)
    texts = []
    for locale, template in script.locales.items():
        body = fill(template, values, scripts.templates)
        title_template = script.titles.get(locale)
        title = fill(title_template, values, scripts.templates) if title_template else ""
        texts.append(
            LocaleText(
                locale,
                title,
                body,
                tuple(check(script, title, locale)) if title else (),
                tuple(check(script, body, locale, values=values)),
            )
        )
    return Rendering(script, values, tuple(texts))
