"""What a playbook means, checked before it is loaded: actions, arguments and templates.

Structure (types, required keys) is read in ``parse``; here every step is checked against
its action's argument schema, and every template against the names it may use, so that
a typo fails at ``surge validate`` rather than in the middle of an incident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jinja2
from jinja2 import nodes

from surge.actions import ActionRegistry, ActionSpec, Arg
from surge.playbook.messages import hint, suggestion, unknown
from surge.playbook.model import Param, Step
from surge.templating import CONTEXT_NAMES, Templates
from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YNode

Phase = Literal["steps", "on_resolve"]
TRIGGER_NAMES = ("labels", "annotations", "value")
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # the breaks PyYAML counts
_BLOCK_SCALAR = re.compile(r"(?:[&!]\S*\s+)*[|>]")  # optional anchor/tag, then | or >


@dataclass
class StepDraft:
    """A step as read, with the YAML it came from, for checks that need positions."""

    step: Step
    node: YNode
    fields: dict[str, YNode]
    phase: Phase

    def id_pos(self) -> Pos:
        return self.fields["id"].pos if "id" in self.fields else self.node.pos


@dataclass(frozen=True)
class Scope:
    """What a template may read: top-level names, and which steps have already run."""

    names: tuple[str, ...]
    earlier: frozenset[str] = frozenset()
    steps: frozenset[str] = frozenset()


class Source:
    """The playbook's text, to point a template's own line number at the file's line."""

    def __init__(self, text: str) -> None:
        self.lines = _LINE_BREAK.split(text)

    def at(self, pos: Pos, template_line: int) -> Pos:
        # Only a block scalar (| or >) keeps its lines where they were written; its
        # first line is the one after the indicator.
        if not self._is_block(pos):
            return pos
        line = pos.line + max(template_line, 1)
        if line > len(self.lines) or not self.lines[line - 1].strip():
            return Pos(pos.file, line, pos.col)
        text = self.lines[line - 1]
        return Pos(pos.file, line, len(text) - len(text.lstrip(" ")) + 1)

    def _is_block(self, pos: Pos) -> bool:
        if pos.line > len(self.lines):
            return False
        return bool(_BLOCK_SCALAR.match(self.lines[pos.line - 1][pos.col - 1 :]))


class Validator:
    """Checks steps and templates of one playbook, reporting into ``check``."""

    def __init__(
        self,
        check: Checker,
        source: Source,
        actions: ActionRegistry,
        templates: Templates,
        params: Mapping[str, Param],
    ) -> None:
        self.check = check
        self.source = source
        self.actions = actions
        self.templates = templates
        self.params = params

    def steps(self, main: Sequence[StepDraft], on_resolve: Sequence[StepDraft]) -> None:
        self._unique_ids([*main, *on_resolve])
        main_ids = [draft.step.id for draft in main]
        every = frozenset(main_ids + [draft.step.id for draft in on_resolve])
        for index, draft in enumerate(main):
            self._fallback(draft, main_ids[: index + 1], main_ids[index + 1 :])
            self._step(draft, Scope(CONTEXT_NAMES, frozenset(main_ids[:index]), every))
        for index, draft in enumerate(on_resolve):
            earlier = main_ids + [other.step.id for other in on_resolve[:index]]
            self._step(draft, Scope(CONTEXT_NAMES, frozenset(earlier), every))

    def trigger_params(self, node: YNode, what: str) -> dict[str, str]:
        """A trigger's ``params``: declared names, templates over the alert or sample."""
        values = self.check.string_map(node, what)
        scope = Scope(TRIGGER_NAMES)
        for name, text in values.items():
            if name not in self.params:
                self.check.error(node.key_pos[name], unknown("param", name, self.params))
                continue
            self.template(text, node.value[name].pos, scope)
        return values

    def components(self, node: YNode) -> tuple[str, ...]:
        """The playbook's ``components``: templates over its params and the signal."""
        texts = self.check.strings(node, "components")
        scope = Scope(("params", *TRIGGER_NAMES))
        for text, item in zip(texts, node.value or [], strict=False):
            self.template(text, item.pos, scope)
        return tuple(texts)

    def template(self, text: str, pos: Pos, scope: Scope, *, expression: bool = False) -> None:
        """Report syntax errors and unknown names in one template written at ``pos``."""
        if not expression and "{" not in text:
            return
        error = self._syntax_error(text, expression)
        if error is not None:
            line, message = error
            self.check.error(self.source.at(pos, line), f"template syntax: {message}")
            return
        source = "{{ " + text + " }}" if expression else text
        try:
            tree = self.templates.env.parse(source)
        except jinja2.TemplateSyntaxError as wrapped:  # the expression held a stray }}
            self.check.error(pos, f"template syntax: {wrapped.message}")
            return
        problems = self._filter_problems(tree) + self._name_problems(tree, text, expression, scope)
        for problem in problems:
            self.check.error(pos, problem)

    def _name_problems(
        self, tree: nodes.Template, text: str, expression: bool, scope: Scope
    ) -> list[str]:
        local = _local_names(tree) | set(self.templates.env.globals)
        references = self.templates.references(text, expression=expression)
        found = []
        for name, key in sorted(references, key=lambda ref: (ref[0], ref[1] or "")):
            problem = None if name in local else self._reference_problem(name, key, scope)
            if problem:
                found.append(problem)
        return list(dict.fromkeys(found))  # params.x and params[y] may say the same thing

    def _syntax_error(self, text: str, expression: bool) -> tuple[int, str] | None:
        try:
            return self.templates.syntax_error(text, expression=expression)
        except RecursionError:
            return 1, "nested too deeply"
        except jinja2.TemplateError as error:  # raised while compiling, e.g. unknown filter
            return 1, error.message or str(error)

    def _filter_problems(self, tree: nodes.Template) -> list[str]:
        problems = []
        for node in tree.find_all(nodes.Filter):
            if node.name not in self.templates.env.filters:
                problems.append(unknown("filter", node.name, self.templates.env.filters))
        for test in tree.find_all(nodes.Test):
            if test.name not in self.templates.env.tests:
                problems.append(unknown("test", test.name, self.templates.env.tests))
        return problems

    def _reference_problem(self, name: str, key: str | None, scope: Scope) -> str | None:
        if name not in scope.names:
            return (
                f"unknown name {name!r} in template"
                f"{hint(name, scope.names)}; templates here can use {', '.join(scope.names)}"
            )
        if key is None:
            return None
        if name == "params" and key not in self.params:
            return unknown("param", key, self.params)
        if name == "steps" and key not in scope.earlier:
            if key in scope.steps:
                return f"step {key!r} has not run yet here; a template can only use earlier steps"
            return unknown("step", key, sorted(scope.earlier))
        return None

    def _unique_ids(self, drafts: Sequence[StepDraft]) -> None:
        first: dict[str, Pos] = {}
        for draft in drafts:
            step_id, pos = draft.step.id, draft.id_pos()
            if step_id in first:
                self.check.error(
                    pos, f"duplicate step id {step_id!r} (first at line {first[step_id].line})"
                )
                continue
            first[step_id] = pos

    def _fallback(self, draft: StepDraft, before: list[str], after: list[str]) -> None:
        target = draft.step.on_failure.fallback
        node = draft.fields.get("on_failure")
        if target is None or node is None or not node.is_map:
            return
        pos = node.value["fallback"].pos
        if target in before:
            self.check.error(
                pos, f"fallback {target!r} must be a later step: a fallback jumps forward"
            )
        elif target not in after:
            self.check.error(pos, unknown("step", target, after))

    def _step(self, draft: StepDraft, scope: Scope) -> None:
        spec = self._action(draft)
        with_node = draft.fields.get("with")
        if spec is not None:
            self._arguments(spec, with_node, draft.fields["action"].pos)
        if with_node is not None and with_node.is_map:
            self._walk(with_node, scope)
        when = draft.fields.get("when")
        if when is not None and isinstance(when.value, str):
            self._when(when.value, when.pos, scope)

    def _action(self, draft: StepDraft) -> ActionSpec | None:
        node = draft.fields.get("action")
        if node is None or not draft.step.action:
            return None
        spec = self.actions.get(draft.step.action)
        if spec is None:
            self.check.error(node.pos, unknown("action", draft.step.action, self.actions.names()))
        return spec

    def _arguments(self, spec: ActionSpec, node: YNode | None, action_pos: Pos) -> None:
        if node is not None and node.value is None:
            node = None  # an empty "with:" gives no arguments, like no "with" at all
        if node is not None and not node.is_map:
            return  # not a mapping: reported when the step was read
        given: dict[str, YNode] = node.value if node is not None else {}
        for name, child in given.items():
            arg = spec.args.get(name)
            if arg is not None:
                self._argument(spec, name, arg, child)
            elif not spec.allow_extra_args and node is not None:
                message = f"action {spec.name!r} takes no argument {name!r}"
                self.check.error(node.key_pos[name], message + suggestion(name, list(spec.args)))
        where = node.pos if node is not None else action_pos
        for name, arg in spec.args.items():
            if arg.required and name not in given:
                self.check.error(where, f"action {spec.name!r} needs argument {name!r} in with")
        literal = {name: child.plain() for name, child in given.items()}
        if spec.check is not None and not any(_is_template(v) for v in literal.values()):
            for problem in spec.check(literal):
                self.check.error(where, f"action {spec.name!r}: {problem}")

    def _argument(self, spec: ActionSpec, name: str, arg: Arg, node: YNode) -> None:
        problem = _literal_problem(arg, node.plain())
        if problem:
            self.check.error(node.pos, f"argument {name!r} of action {spec.name!r}: {problem}")

    def _walk(self, node: YNode, scope: Scope) -> None:
        if isinstance(node.value, str):
            self.template(node.value, node.pos, scope)
        elif isinstance(node.value, dict):
            for key, child in node.value.items():
                self.template(key, node.key_pos[key], scope)
                self._walk(child, scope)
        elif isinstance(node.value, list):
            for child in node.value:
                self._walk(child, scope)

    def _when(self, text: str, pos: Pos, scope: Scope) -> None:
        if "{{" in text or "{%" in text:
            self.check.error(pos, "when is a Jinja expression: write it without {{ }} or {% %}")
            return
        self.template(text, pos, scope, expression=True)


def _local_names(tree: nodes.Template) -> set[str]:
    # Names the template binds itself: {% set %}, loop targets, macro arguments.
    names = {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}
    if any(True for _ in tree.find_all(nodes.For)):
        names.add("loop")
    if any(True for _ in tree.find_all((nodes.Macro, nodes.CallBlock))):
        names.update(("caller", "varargs", "kwargs"))
    return names


def _literal_problem(arg: Arg, value: Any) -> str | None:
    if _is_template(value):
        return None
    problem = arg.problem(value)
    if problem and arg.choices and str(value) not in arg.choices:
        problem += hint(str(value), arg.choices)
    return problem


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)
