"""Reading a playbook file into the model, with every problem at its ``file:line:col``."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from surge.actions import ActionRegistry
from surge.playbook.model import DEFAULT_MAX_OPEN, SEVERITIES, Param, Playbook, ReportSpec
from surge.playbook.paramspec import read_params
from surge.playbook.reportspec import read_report
from surge.playbook.steps import read_duration, read_slug, read_steps
from surge.playbook.triggerspec import TriggerReader
from surge.playbook.validate import Source, Validator
from surge.templating import Templates
from surge.yamlcheck import Checker
from surge.yamlpos import YamlProblem, YNode, load

TOP_KEYS = (
    "id", "title", "kind", "severity", "description", "params", "triggers",
    "group_by", "cooldown", "max_open", "components", "steps", "on_resolve", "report",
)  # fmt: skip


def load_playbook(
    text: str | bytes, file: str, actions: ActionRegistry, templates: Templates
) -> tuple[Playbook | None, list[YamlProblem]]:
    """The playbook in ``text``, or None and every problem found, ordered by position.

    ``content_hash`` is the sha256 of the file's bytes (of its UTF-8 form, given text).
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    root, problems = load(text, file)
    if root is None:
        return None, problems
    check = Checker()
    source = Source(text if isinstance(text, str) else data.decode("utf-8"))
    try:
        playbook = _Reader(check, source, actions, templates).playbook(root)
    except RecursionError:
        check.error(root.pos, "the playbook is nested too deeply to check")
        playbook = None
    if playbook is None and not check.problems:
        check.error(root.pos, "this is not a playbook")  # keeps None and problems together
    if check.problems or playbook is None:
        return None, sorted(check.problems, key=lambda problem: (problem.pos.line, problem.pos.col))
    return _finish(playbook, file, hashlib.sha256(data).hexdigest()), []


def _finish(playbook: Playbook, file: str, digest: str) -> Playbook:
    return replace(playbook, source=file, content_hash=digest)


class _Reader:
    def __init__(
        self, check: Checker, source: Source, actions: ActionRegistry, templates: Templates
    ) -> None:
        self.check = check
        self.source = source
        self.actions = actions
        self.templates = templates

    def playbook(self, root: YNode) -> Playbook | None:
        check = self.check
        fields = check.keys(root, "playbook", TOP_KEYS, required=("id", "title", "steps"))
        if fields is None:
            return None
        params = read_params(check, fields["params"]) if "params" in fields else {}
        validator = Validator(check, self.source, self.actions, self.templates, params)
        main = read_steps(check, fields.get("steps"), "steps")
        on_resolve = read_steps(check, fields.get("on_resolve"), "on_resolve")
        validator.steps(main, on_resolve)
        triggers = TriggerReader(check, validator).triggers(fields.get("triggers"))
        group_by = self._group_by(fields.get("group_by"), params)
        components = validator.components(fields["components"]) if "components" in fields else ()
        report = read_report(check, validator, fields["report"]) if "report" in fields else None
        identity = read_slug(check, fields.get("id"), "id")
        title = check.string(fields["title"], "title") if "title" in fields else None
        if identity is None or title is None:
            return None
        return Playbook(
            id=identity,
            title=title,
            kind=read_slug(check, fields.get("kind"), "kind") or "generic",
            severity=self._severity(fields.get("severity")),
            description=self._text(fields.get("description"), "description"),
            params=params,
            triggers=triggers,
            group_by=group_by,
            cooldown=read_duration(check, fields.get("cooldown"), "cooldown", 0.0),
            max_open=self._max_open(fields.get("max_open")),
            components=components,
            steps=tuple(draft.step for draft in main),
            on_resolve=tuple(draft.step for draft in on_resolve),
            report=report or ReportSpec(),
        )

    def _severity(self, node: YNode | None) -> str:
        if node is None:
            return "warning"
        return self.check.choice(node, "severity", SEVERITIES) or "warning"

    def _text(self, node: YNode | None, what: str) -> str:
        if node is None:
            return ""
        return self.check.string(node, what, empty=True) or ""

    def _max_open(self, node: YNode | None) -> int:
        if node is None:
            return DEFAULT_MAX_OPEN
        return self.check.integer(node, "max_open", minimum=1) or DEFAULT_MAX_OPEN

    # --- grouping --------------------------------------------------------------------------

    def _group_by(self, node: YNode | None, params: dict[str, Param]) -> tuple[str, ...]:
        if node is None:
            return ()
        names = []
        for item in self.check.sequence(node, "group_by") or []:
            name = self.check.string(item, "each entry of group_by")
            if name is not None and name not in params:
                self.check.error(
                    item.pos, f"group_by names {name!r}, which is not a declared param"
                )
            elif name is not None:
                names.append(name)
        return tuple(names)
