"""Checking rendered step arguments against an action's declared schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surge.actions import ActionSpec


def prepare_args(spec: ActionSpec, args: Mapping[str, Any]) -> dict[str, Any]:
    """The rendered arguments, with numbers given to text arguments turned into text
    (``message: "{{ incident.id }}"`` renders to an int), checked against ``spec.args``."""
    prepared = dict(args)
    for name, arg in spec.args.items():
        value = prepared.get(name)
        if arg.type == "string" and isinstance(value, int | float) and not isinstance(value, bool):
            prepared[name] = str(value)
    check_args(spec, prepared)
    return prepared


def check_args(spec: ActionSpec, args: Mapping[str, Any]) -> None:
    """Raise ValueError naming every argument that does not fit ``spec.args``."""
    problems = []
    for name, arg in spec.args.items():
        if name not in args or args[name] is None:
            if arg.required:
                problems.append(f"missing required argument {name!r}")
            continue
        problem = arg.problem(args[name])
        if problem:
            problems.append(f"argument {name!r}: {problem}")
    if not spec.allow_extra_args:
        problems.extend(f"unknown argument {name!r}" for name in args if name not in spec.args)
    if spec.check is not None:
        problems.extend(spec.check(args))
    if problems:
        raise ValueError(f"{spec.name}: " + "; ".join(problems))
