"""Reading ``steps`` and ``on_resolve``: one action call each, with its retry and failure policy."""

from __future__ import annotations

import re
from typing import cast

from surge.playbook.model import OnFailure, Retry, Step
from surge.playbook.validate import Phase, StepDraft
from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YNode

STEP_KEYS = ("id", "action", "with", "when", "timeout", "retry", "on_failure")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def read_steps(check: Checker, node: YNode | None, phase: Phase) -> list[StepDraft]:
    """The steps of one list; ids default to ``step-<n>`` or ``on_resolve-<n>``."""
    if node is None:
        return []
    items = check.sequence(node, phase)
    if items is None:
        return []
    if not items and phase == "steps":
        check.error(node.pos, "steps needs at least one step")
    drafts = (_step(check, item, phase, number) for number, item in enumerate(items, 1))
    return [draft for draft in drafts if draft is not None]


def _step(check: Checker, node: YNode, phase: Phase, number: int) -> StepDraft | None:
    what = f"step {number}" if phase == "steps" else f"on_resolve step {number}"
    fields = check.keys(node, what, STEP_KEYS, required=("action",))
    if fields is None:
        return None
    default_id = f"step-{number}" if phase == "steps" else f"on_resolve-{number}"
    action = check.string(fields["action"], f"action of {what}") if "action" in fields else None
    step = Step(
        id=read_slug(check, fields.get("id"), f"id of {what}") or default_id,
        action=action or "",
        with_=_with(check, fields.get("with"), what),
        when=_when(check, fields.get("when"), what),
        timeout=_timeout(check, fields.get("timeout"), what),
        retry=_retry(check, fields.get("retry"), what),
        on_failure=_on_failure(check, fields.get("on_failure"), what, phase),
        pos=node.pos,
        with_pos=_with_positions(fields.get("with")),
    )
    return StepDraft(step, node, fields, phase)


def _with_positions(node: YNode | None) -> dict[str, Pos]:
    if node is None or not node.is_map:
        return {}
    found: dict[str, Pos] = {}
    for name, child in node.value.items():
        found[name] = child.pos
        if child.is_map:
            found.update({f"{name}.{key}": pos for key, pos in child.key_pos.items()})
    return found


def _with(check: Checker, node: YNode | None, what: str) -> dict[str, object]:
    if node is None or node.value is None:
        return {}
    if check.mapping(node, f"with of {what}") is None:
        return {}
    return cast(dict[str, object], node.plain())


def _when(check: Checker, node: YNode | None, what: str) -> str | None:
    if node is None:
        return None
    if isinstance(node.value, bool):
        return str(node.value).lower()
    return check.string(node, f"when of {what}")


def _timeout(check: Checker, node: YNode | None, what: str) -> float | None:
    if node is None:
        return None
    return read_duration(check, node, f"timeout of {what}", 0.0, positive=True) or None


def _retry(check: Checker, node: YNode | None, what: str) -> Retry:
    if node is None:
        return Retry()
    where = f"retry of {what}"
    fields = check.keys(node, where, ("attempts", "backoff", "max_backoff"))
    if fields is None:
        return Retry()
    attempts = 1
    if "attempts" in fields:
        attempts = check.integer(fields["attempts"], f"attempts in {where}", minimum=1) or 1
    return Retry(
        attempts=attempts,
        backoff=read_duration(check, fields.get("backoff"), f"backoff in {where}", Retry.backoff),
        max_backoff=read_duration(
            check, fields.get("max_backoff"), f"max_backoff in {where}", Retry.max_backoff
        ),
    )


def _on_failure(check: Checker, node: YNode | None, what: str, phase: Phase) -> OnFailure:
    if node is None:
        return OnFailure()
    where = f"on_failure of {what}"
    if isinstance(node.value, str):
        policy = check.choice(node, where, ("abort", "continue"))
        return OnFailure("continue" if policy == "continue" else "abort")
    if not node.is_map:
        check.error(node.pos, f"{where} must be abort, continue or {{fallback: STEP_ID}}")
        return OnFailure()
    fields = check.keys(node, where, ("fallback",), required=("fallback",))
    if not fields or "fallback" not in fields:
        return OnFailure()
    if phase == "on_resolve":
        check.error(node.key_pos["fallback"], "on_resolve steps cannot use fallback")
        return OnFailure()
    target = check.string(fields["fallback"], f"fallback of {what}")
    return OnFailure("fallback", target) if target else OnFailure()


def read_slug(check: Checker, node: YNode | None, what: str) -> str | None:
    """An id-like word: lowercase letters, digits, - and _."""
    if node is None:
        return None
    value = check.string(node, what)
    if value is not None and not SLUG.fullmatch(value):
        rule = "lowercase letters, digits, - and _, starting with a letter or digit"
        check.error(node.pos, f"{what} must be {rule}; got {value!r}")
        return None
    return value


def read_duration(
    check: Checker, node: YNode | None, what: str, default: float, *, positive: bool = False
) -> float:
    """Seconds, from ``30s``, ``1h30m`` or a plain number; ``default`` when absent or wrong."""
    if node is None:
        return default
    seconds = check.duration(node, what)
    if seconds is None:
        return default
    if positive and seconds <= 0:
        check.error(node.pos, f"{what} must be longer than 0")
        return default
    return seconds
