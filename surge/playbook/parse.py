"""Reading a playbook file into the model, with every problem at its ``file:line:col``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Literal, cast

from surge.actions import ActionRegistry
from surge.config import ROLES
from surge.playbook.model import (
    SEVERITIES,
    AlertTrigger,
    ManualTrigger,
    MetricTrigger,
    Param,
    Playbook,
    Trigger,
)
from surge.playbook.paramspec import read_params
from surge.playbook.steps import read_duration, read_slug, read_steps
from surge.playbook.validate import Source, Validator
from surge.templating import Templates
from surge.yamlcheck import Checker
from surge.yamlpos import YamlProblem, YNode, load

TOP_KEYS = (
    "id", "title", "kind", "severity", "description", "params", "triggers",
    "group_by", "cooldown", "steps", "on_resolve",
)  # fmt: skip
TRIGGER_KINDS = ("manual", "alert", "metric")
ON_CLEAR = ("resolve", "mitigate", "note")


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
        triggers = self._triggers(fields.get("triggers"), validator)
        group_by = self._group_by(fields.get("group_by"), params)
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
            steps=tuple(draft.step for draft in main),
            on_resolve=tuple(draft.step for draft in on_resolve),
        )

    def _severity(self, node: YNode | None) -> str:
        if node is None:
            return "warning"
        return self.check.choice(node, "severity", SEVERITIES) or "warning"

    def _text(self, node: YNode | None, what: str) -> str:
        if node is None:
            return ""
        return self.check.string(node, what, empty=True) or ""

    # --- params and triggers -------------------------------------------------------------

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

    def _triggers(self, node: YNode | None, validator: Validator) -> tuple[Trigger, ...]:
        if node is None:
            return ()
        found = []
        for index, item in enumerate(self.check.sequence(node, "triggers") or [], 1):
            trigger = self._trigger(item, f"trigger {index}", validator)
            if trigger is not None:
                found.append(trigger)
        return tuple(found)

    def _trigger(self, node: YNode, what: str, validator: Validator) -> Trigger | None:
        if node.value == "manual":  # the shorthand "- manual"
            return ManualTrigger(pos=node.pos)
        fields = self.check.keys(node, what, TRIGGER_KINDS)
        if fields is None:
            return None
        kinds = [kind for kind in fields if kind in TRIGGER_KINDS]
        if len(kinds) > 1 or not fields:  # an unknown kind alone was reported already
            self.check.error(node.pos, f"{what} needs exactly one of: {', '.join(TRIGGER_KINDS)}")
        if len(kinds) != 1:
            return None
        trigger = self._trigger_body(kinds[0], fields[kinds[0]], validator)
        return replace(trigger, pos=node.pos) if trigger is not None else None

    def _trigger_body(self, kind: str, body: YNode, validator: Validator) -> Trigger | None:
        if kind == "manual":
            return self._manual(body)
        if kind == "alert":
            return self._alert(body, validator)
        return self._metric(body, validator)

    def _manual(self, node: YNode) -> ManualTrigger | None:
        if node.value is None:
            return ManualTrigger(pos=node.pos)
        fields = self.check.keys(node, "manual trigger", ("roles",))
        if fields is None:
            return None
        if "roles" not in fields:
            return ManualTrigger(pos=node.pos)
        items = self.check.sequence(fields["roles"], "roles") or []
        if not items and fields["roles"].is_list:
            self.check.error(fields["roles"].pos, "roles needs at least one role")
        roles = [self.check.choice(item, "each role", ROLES) for item in items]
        return ManualTrigger(tuple(role for role in roles if role), pos=node.pos)

    def _alert(self, node: YNode, validator: Validator) -> AlertTrigger | None:
        fields = self.check.keys(node, "alert trigger", ("match", "match_re", "params"))
        if fields is None:
            return None
        if "match" not in fields and "match_re" not in fields:
            self.check.error(node.pos, "an alert trigger needs match or match_re")
        match = self.check.string_map(fields["match"], "match") if "match" in fields else {}
        match_re = self._patterns(fields["match_re"]) if "match_re" in fields else {}
        params = validator.trigger_params(fields["params"], "params") if "params" in fields else {}
        return AlertTrigger(match, match_re, params, pos=node.pos)

    def _patterns(self, node: YNode) -> dict[str, str]:
        patterns = self.check.string_map(node, "match_re")
        for label, pattern in patterns.items():
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError, ValueError) as error:
                self.check.error(
                    node.value[label].pos, f"match_re.{label} is not a valid regex: {error}"
                )
        return patterns

    def _metric(self, node: YNode, validator: Validator) -> MetricTrigger | None:
        allowed = ("query", "for", "clear", "clear_for", "on_clear", "params")
        fields = self.check.keys(node, "metric trigger", allowed, required=("query",))
        if fields is None or "query" not in fields:
            return None
        query = self.check.string(fields["query"], "query")
        clear = self.check.string(fields["clear"], "clear") if "clear" in fields else None
        if "clear_for" in fields and "clear" not in fields:
            self.check.error(node.key_pos["clear_for"], "clear_for needs a clear condition")
        on_clear = "resolve"
        if "on_clear" in fields:
            on_clear = self.check.choice(fields["on_clear"], "on_clear", ON_CLEAR) or "resolve"
        params = validator.trigger_params(fields["params"], "params") if "params" in fields else {}
        return MetricTrigger(
            query=query or "",
            for_=read_duration(self.check, fields.get("for"), "for", 0.0),
            clear=clear,
            clear_for=read_duration(self.check, fields.get("clear_for"), "clear_for", 0.0),
            on_clear=cast(Literal["resolve", "mitigate", "note"], on_clear),
            params=params,
            pos=node.pos,
        )
