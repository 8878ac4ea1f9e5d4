"""Checking rendered step arguments against an action's declared schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surge.actions import ActionSpec, Arg
from surge.durations import DurationError, parse_duration


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
        problem = arg_problem(arg, args[name])
        if problem:
            problems.append(f"argument {name!r}: {problem}")
    if not spec.allow_extra_args:
        problems.extend(f"unknown argument {name!r}" for name in args if name not in spec.args)
    if problems:
        raise ValueError(f"{spec.name}: " + "; ".join(problems))


def arg_problem(arg: Arg, value: Any) -> str | None:
    """Why ``value`` does not fit ``arg``, or None."""
    expected = {
        "string": (str,),
        "int": (int,),
        "float": (int, float),
        "bool": (bool,),
        "mapping": (dict,),
        "list": (list, tuple),
    }.get(arg.type)
    if arg.type == "duration":
        try:
            parse_duration(value)
        except DurationError as error:
            return str(error)
    elif expected is not None:
        wrong_bool = isinstance(value, bool) and arg.type in ("int", "float")
        if not isinstance(value, expected) or wrong_bool:
            return f"expected {arg.type}, got {type(value).__name__}"
    if arg.choices and str(value) not in arg.choices:
        return f"must be one of {', '.join(arg.choices)}, got {value!r}"
    return None
