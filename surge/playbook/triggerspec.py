"""The ``triggers`` section: manual, Alertmanager alert and PromQL metric triggers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from surge.playbook.model import (
    AlertTrigger,
    ClearAction,
    ManualTrigger,
    MetricTrigger,
    Trigger,
)
from surge.playbook.steps import read_duration, read_slug
from surge.playbook.validate import Validator
from surge.roles import ROLES
from surge.triggers.matchers import Matcher, Operator, parse_matcher
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

TRIGGER_KINDS = ("manual", "alert", "metric")
ON_CLEAR: tuple[ClearAction, ...] = ("resolve", "mitigate", "note")
ALERT_KEYS = ("match", "match_re", "matchers", "params", "on_clear")
METRIC_KEYS = ("id", "query", "for", "clear", "clear_for", "on_clear", "data", "params")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NO_CLEAR = "without `clear` the trigger never clears by itself: add a clear query"


class TriggerReader:
    """Reads each trigger of one playbook, reporting into ``check``."""

    def __init__(self, check: Checker, validator: Validator) -> None:
        self.check = check
        self.validator = validator

    def triggers(self, node: YNode | None) -> tuple[Trigger, ...]:
        if node is None:
            return ()
        found = []
        for index, item in enumerate(self.check.sequence(node, "triggers") or [], 1):
            trigger = self._trigger(item, f"trigger {index}")
            if trigger is not None:
                found.append(trigger)
        return tuple(found)

    def _trigger(self, node: YNode, what: str) -> Trigger | None:
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
        readers = {"manual": self._manual, "alert": self._alert, "metric": self._metric}
        trigger = readers[kinds[0]](fields[kinds[0]])
        return replace(trigger, pos=node.pos) if trigger is not None else None

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

    # --- alert ---------------------------------------------------------------------------

    def _alert(self, node: YNode) -> AlertTrigger | None:
        fields = self.check.keys(node, "alert trigger", ALERT_KEYS)
        if fields is None:
            return None
        before = len(self.check.problems)
        matchers = (
            *self._label_map(fields.get("match"), "match", "="),
            *self._label_map(fields.get("match_re"), "match_re", "=~"),
            *self._matcher_list(fields.get("matchers")),
        )
        if not matchers and len(self.check.problems) == before:
            self.check.error(
                node.pos,
                "an alert trigger needs at least one matcher (match, match_re or matchers); "
                "without one it would take every alert",
            )
        return AlertTrigger(
            matchers=matchers,
            params=self._params(fields.get("params")),
            on_clear=self._on_clear(fields.get("on_clear")),
            pos=node.pos,
        )

    def _label_map(self, node: YNode | None, what: str, op: Operator) -> list[Matcher]:
        """``match: {label: value}`` or ``match_re: {label: regex}``."""
        if node is None:
            return []
        found = []
        for label, value in self.check.string_map(node, what).items():
            if not _LABEL.fullmatch(label):
                self.check.error(
                    node.key_pos[label],
                    f"{what}: {label!r} is not a label name (letters, digits and _)",
                )
                continue
            matcher = self._matcher(
                node.value[label], f"{what}.{label}", Matcher.create, label, op, value
            )
            if matcher is not None:
                found.append(matcher)
        return found

    def _matcher_list(self, node: YNode | None) -> list[Matcher]:
        """``matchers: ['alertname="ChannelDown"', 'severity=~"critical|major"']``."""
        if node is None:
            return []
        items = self.check.sequence(node, "matchers") or []
        found = []
        for item in items:
            text = self.check.string(item, "each entry of matchers")
            if text is None:
                continue
            matcher = self._matcher(item, "matchers", parse_matcher, text)
            if matcher is not None:
                found.append(matcher)
        return found

    def _matcher(
        self, node: YNode, what: str, make: Callable[..., Matcher], *args: str
    ) -> Matcher | None:
        try:
            return make(*args)
        except ValueError as error:
            self.check.error(node.pos, f"{what}: {error}")
        except (RecursionError, OverflowError):
            self.check.error(node.pos, f"{what}: the regular expression is too large")
        return None

    # --- metric --------------------------------------------------------------------------

    def _metric(self, node: YNode) -> MetricTrigger | None:
        check = self.check
        fields = check.keys(node, "metric trigger", METRIC_KEYS, required=("query",))
        if fields is None or "query" not in fields:
            return None
        query = check.string(fields["query"], "query")
        clear = check.string(fields["clear"], "clear") if "clear" in fields else None
        data = check.string(fields["data"], "data") if "data" in fields else None
        if "clear" not in fields:
            for key in ("clear_for", "on_clear"):
                if key in fields:
                    check.error(node.key_pos[key], f"{key}: {_NO_CLEAR}")
        return MetricTrigger(
            query=query or "",
            for_=read_duration(check, fields.get("for"), "for", 0.0),
            clear=clear,
            clear_for=read_duration(check, fields.get("clear_for"), "clear_for", 0.0),
            on_clear=self._on_clear(fields.get("on_clear")),
            data=data,
            params=self._params(fields.get("params")),
            id=read_slug(check, fields["id"], "id of a metric trigger") if "id" in fields else None,
            pos=node.pos,
        )

    # --- shared --------------------------------------------------------------------------

    def _on_clear(self, node: YNode | None) -> ClearAction:
        if node is None:
            return "resolve"
        return cast(ClearAction | None, self.check.choice(node, "on_clear", ON_CLEAR)) or "resolve"

    def _params(self, node: YNode | None) -> dict[str, str]:
        return self.validator.trigger_params(node, "params") if node is not None else {}
