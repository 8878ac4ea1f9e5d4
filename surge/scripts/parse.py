"""Reading a script file into the model, with every problem at its ``file:line:col``."""

from __future__ import annotations

import hashlib
import json
import re

from surge.playbook.messages import unknown
from surge.playbook.model import Param
from surge.playbook.paramspec import read_params
from surge.playbook.steps import read_slug
from surge.playbook.validate import Source
from surge.scripts.match import find_patterns
from surge.scripts.model import EVERY_LOCALE, LOCALES, Rules, Script
from surge.templating import Templates
from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YamlProblem, YNode, load

TOP_KEYS = ("id", "title", "purpose", "author", "vars", "locales", "titles", "rules")
RULE_KEYS = ("required", "forbidden", "promises", "max_length")


def load_script(
    text: str | bytes, file: str, templates: Templates
) -> tuple[Script | None, list[YamlProblem]]:
    """The script in ``text``, or None and every problem found, ordered by position."""
    root, problems = load(text, file)
    if root is None:
        return None, problems
    check = Checker()
    source = Source(text if isinstance(text, str) else text.decode("utf-8"))
    try:
        script = _Reader(check, source, templates).script(root)
    except RecursionError:
        check.error(root.pos, "the script is nested too deeply to check")
        script = None
    if script is None and not check.problems:
        check.error(root.pos, "this is not a script")
    if check.problems or script is None:
        return None, sorted(check.problems, key=lambda problem: (problem.pos.line, problem.pos.col))
    return script, []


def content_hash(root: YNode) -> str:
    """sha256 of the parsed document in canonical JSON: layout and comments do not count."""
    canonical = json.dumps(
        root.plain(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class _Reader:
    def __init__(self, check: Checker, source: Source, templates: Templates) -> None:
        self.check = check
        self.source = source
        self.templates = templates

    def script(self, root: YNode) -> Script | None:
        check = self.check
        fields = check.keys(root, "script", TOP_KEYS, required=("id", "title", "locales"))
        if fields is None:
            return None
        variables = (
            read_params(check, fields["vars"], noun="var", usage="{{{{ {name} }}}}")
            if "vars" in fields
            else {}
        )
        locales = self._locales(fields.get("locales"), variables)
        titles = self._locales(fields.get("titles"), variables, what="titles")
        rules = self._rules(fields.get("rules"), variables, locales)
        identity = read_slug(check, fields.get("id"), "id")
        title = check.string(fields["title"], "title") if "title" in fields else None
        purpose = check.string(fields["purpose"], "purpose") if "purpose" in fields else ""
        author = check.string(fields["author"], "author") if "author" in fields else ""
        if identity is None or title is None or purpose is None or author is None:
            return None
        return Script(
            id=identity,
            title=title,
            purpose=purpose,
            author=author,
            vars=variables,
            locales={locale: template for locale, (template, _) in locales.items()},
            titles={locale: template for locale, (template, _) in titles.items()},
            rules=rules,
            source=root.pos.file,
            content_hash=content_hash(root),
            pos=fields["id"].pos,
        )

    # --- locales ---------------------------------------------------------------------------

    def _locales(
        self, node: YNode | None, variables: dict[str, Param], what: str = "locales"
    ) -> dict[str, tuple[str, YNode]]:
        """The wording per locale (``locales``), or a notice's title per locale (``titles``)."""
        fields = self.check.mapping(node, what) if node is not None else None
        if fields is None or node is None:
            return {}
        noun = "wording" if what == "locales" else "title"
        found: dict[str, tuple[str, YNode]] = {}
        for locale, child in fields.items():
            if locale not in LOCALES:
                self.check.error(node.key_pos[locale], unknown("locale", locale, LOCALES))
                continue
            what_here = f"{locale} {noun}"
            template = self.check.string(child, f"the {what_here}")
            if template is not None and self._template(template, child, what_here, variables):
                found[locale] = (template, child)
        if not fields:
            self.check.error(node.pos, f"{what} needs at least one of {', '.join(LOCALES)}")
        return found

    def _template(self, text: str, node: YNode, what: str, variables: dict[str, Param]) -> bool:
        error = self.templates.syntax_error(text)
        if error is not None:
            line, message = error
            self.check.error(self.source.at(node.pos, line), f"the {what}: {message}")
            return False
        allowed = set(variables) | set(self.templates.env.globals)
        for name in sorted(used_names(self.templates, text) - allowed):
            message = f"the {what} uses {{{{ {name} }}}}, which is not a declared var"
            self.check.error(self._line_of(node, text, name), message)
        return True

    def _line_of(self, node: YNode, text: str, name: str) -> Pos:
        match = re.search(rf"\b{re.escape(name)}\b", text)
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        return self.source.at(node.pos, line)

    # --- rules -----------------------------------------------------------------------------

    def _rules(
        self,
        node: YNode | None,
        variables: dict[str, Param],
        locales: dict[str, tuple[str, YNode]],
    ) -> Rules:
        fields = self.check.keys(node, "rules", RULE_KEYS) if node is not None else None
        if not fields:
            return Rules()
        required = self._required(fields.get("required"), variables, locales)
        return Rules(
            required=required,
            forbidden=self._forbidden(fields.get("forbidden")),
            promises=self._promises(fields.get("promises")),
            max_length=self._max_length(fields.get("max_length")),
        )

    def _required(
        self,
        node: YNode | None,
        variables: dict[str, Param],
        locales: dict[str, tuple[str, YNode]],
    ) -> tuple[str, ...]:
        if node is None:
            return ()
        names: list[str] = []
        for item in self.check.sequence(node, "rules.required") or []:
            name = self.check.string(item, "each entry of rules.required")
            if name is None:
                continue
            if name not in variables:
                self.check.error(item.pos, f"rules.required: {unknown('var', name, variables)}")
                continue
            for locale, (template, _) in locales.items():
                if name not in used_names(self.templates, template):
                    message = f"rules.required names {name!r}, but the {locale} wording omits it"
                    self.check.error(item.pos, message)
            names.append(name)
        return tuple(names)

    def _forbidden(self, node: YNode | None) -> dict[str, tuple[str, ...]]:
        fields = self.check.mapping(node, "rules.forbidden") if node is not None else None
        if fields is None or node is None:
            return {}
        phrases: dict[str, tuple[str, ...]] = {}
        for locale, child in fields.items():
            if locale not in (*LOCALES, EVERY_LOCALE):
                self.check.error(
                    node.key_pos[locale], unknown("locale", locale, (*LOCALES, EVERY_LOCALE))
                )
                continue
            phrases[locale] = tuple(self.check.strings(child, f"rules.forbidden.{locale}"))
        return phrases

    def _promises(self, node: YNode | None) -> tuple[str, ...]:
        if node is None:
            return ()
        patterns: list[str] = []
        for item in self.check.sequence(node, "rules.promises") or []:
            pattern = self.check.string(item, "each entry of rules.promises")
            if pattern is None:
                continue
            try:
                find_patterns("", [pattern])  # compiles it the way checking will
            except (re.error, RecursionError, OverflowError) as error:
                self.check.error(item.pos, f"rules.promises: {pattern!r} is no regex: {error}")
                continue
            patterns.append(pattern)
        return tuple(patterns)

    def _max_length(self, node: YNode | None) -> dict[str, int]:
        fields = self.check.mapping(node, "rules.max_length") if node is not None else None
        limits: dict[str, int] = {}
        for channel, child in (fields or {}).items():
            limit = self.check.integer(child, f"rules.max_length.{channel}", minimum=1)
            if limit is not None:
                limits[channel] = limit
        return limits


def used_names(templates: Templates, text: str) -> set[str]:
    """The top-level names a template reads (``{{ eta }}`` reads ``eta``)."""
    return {name for name, _ in templates.references(text)}
