"""The ``params`` section: each param's type, bounds, choices, description and default."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import cast

from surge.playbook.model import Param, ParamType
from surge.playbook.params import coerce_value
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

PARAM_TYPES: tuple[ParamType, ...] = ("string", "int", "float", "bool", "duration", "enum", "list")
ITEM_TYPES: tuple[ParamType, ...] = ("string", "int", "float", "bool", "duration")
PARAM_KEYS = ("type", "required", "default", "choices", "min", "max", "items", "description")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BOUNDED = ("int", "float", "string", "list")


def read_params(
    check: Checker, node: YNode, *, noun: str = "param", usage: str = "params.{name}"
) -> dict[str, Param]:
    """The ``params`` section: ``name: {type: …, …}`` or the shorthand ``name: type``.

    A param whose declaration has problems is still returned (as far as it could be
    read), so templates that use it are not reported a second time as unknown. ``noun``
    and ``usage`` let the same declarations serve as a script's ``vars``.
    """
    fields = check.mapping(node, f"{noun}s")
    if fields is None:
        return {}
    params: dict[str, Param] = {}
    for name, spec in fields.items():
        if not _NAME.fullmatch(name):
            rule = f"letters, digits and _ (it is used as {usage.format(name=name)})"
            check.error(node.key_pos[name], f"{noun} name {name!r} must be {rule}")
            continue
        params[name] = _read_param(check, name, spec, noun)
    return params


def _read_param(check: Checker, name: str, node: YNode, noun: str) -> Param:
    what = f"{noun} {name!r}"
    if isinstance(node.value, str):
        return _shorthand(check, name, node, what)
    fields = check.keys(node, what, PARAM_KEYS)
    if fields is None:
        return Param(name, "string", pos=node.pos)
    before = len(check.problems)
    kind = _type_of(check, fields, "type", f"type of {what}", PARAM_TYPES) or "string"
    param = Param(
        name=name,
        type=kind,
        required=_flag(check, fields, "required", what),
        choices=_read_choices(check, node, fields, what, kind),
        min=_read_bound(check, fields, "min", what, kind),
        max=_read_bound(check, fields, "max", what, kind),
        item_type=_type_of(check, fields, "items", f"items of {what}", ITEM_TYPES) or "string",
        description=_read_description(check, fields, what),
        pos=node.pos,
    )
    if "items" in fields and kind != "list":
        check.error(fields["items"].pos, f"{what}: items applies only to type list")
    if param.min is not None and param.max is not None and param.min > param.max:
        check.error(fields["max"].pos, f"{what}: max is below min")
    if len(check.problems) > before:
        return param  # a default cannot be judged against a broken declaration
    return _with_default(check, param, fields.get("default"), what)


def _shorthand(check: Checker, name: str, node: YNode, what: str) -> Param:
    kind = cast(ParamType | None, check.choice(node, f"type of {what}", PARAM_TYPES))
    if kind == "enum":
        example = "{type: enum, choices: […]}"
        check.error(node.pos, f"{what}: an enum needs choices, so write {example}")
    return Param(name, kind or "string", pos=node.pos)


def _type_of(
    check: Checker, fields: dict[str, YNode], key: str, what: str, choices: tuple[ParamType, ...]
) -> ParamType | None:
    if key not in fields:
        return "string"
    return cast(ParamType | None, check.choice(fields[key], what, choices))


def _flag(check: Checker, fields: dict[str, YNode], key: str, what: str) -> bool:
    if key not in fields:
        return False
    return check.boolean(fields[key], f"{key} of {what}") or False


def _read_choices(
    check: Checker, node: YNode, fields: dict[str, YNode], what: str, kind: str
) -> tuple[str, ...]:
    if "choices" not in fields:
        if kind == "enum":
            check.error(node.pos, f"{what} is an enum, so it needs choices")
        return ()
    if kind != "enum":
        check.error(fields["choices"].pos, f"{what}: choices applies only to type enum")
        return ()
    choices = check.strings(fields["choices"], f"choices of {what}")
    if not choices and isinstance(fields["choices"].value, list):
        check.error(fields["choices"].pos, f"{what} needs at least one choice")
    return tuple(choices)


def _read_bound(
    check: Checker, fields: dict[str, YNode], key: str, what: str, kind: str
) -> float | None:
    if key not in fields:
        return None
    node = fields[key]
    if kind not in _BOUNDED:
        check.error(node.pos, f"{what}: {key} applies only to types {', '.join(_BOUNDED)}")
        return None
    value = check.number(node, f"{key} of {what}")
    if value is None:
        return None
    if not math.isfinite(value):
        check.error(node.pos, f"{key} of {what} must be a finite number")
        return None
    if kind in ("string", "list") and (value < 0 or not value.is_integer()):
        check.error(node.pos, f"{key} of {what} is a length, so a whole number of at least 0")
        return None
    return value


def _read_description(check: Checker, fields: dict[str, YNode], what: str) -> str:
    if "description" not in fields:
        return ""
    return check.string(fields["description"], f"description of {what}", empty=True) or ""


def _with_default(check: Checker, param: Param, node: YNode | None, owner: str) -> Param:
    if node is None:
        return param
    what = f"default of {owner}"
    if param.required:
        noun = owner.split()[0]
        check.error(
            node.pos, f"{what}: a required {noun} is always given, so it cannot have a default"
        )
        return param
    try:
        default = coerce_value(param, node.plain())
    except ValueError as error:
        check.error(node.pos, f"{what}: {error}")
        return param
    return replace(param, default=default)
