"""Typed playbook params: turning the raw values of one run into them.

Raw values arrive as strings from the CLI (``--param count=3``) or already typed from the
HTTP API's JSON. They are data: nothing here ever renders them, so ``{{ 7*7 }}`` given
for a string param stays those nine characters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, cast

from surge.durations import DurationError, parse_duration
from surge.playbook.messages import hint, is_number, show, suggestion
from surge.playbook.model import Param, ParamType, Playbook

TRUE_WORDS = frozenset({"true", "yes", "on"})
FALSE_WORDS = frozenset({"false", "no", "off"})
_INTEGER = re.compile(r"[+-]?[0-9]+")


class ParamError(ValueError):
    """Raw params that do not fit the playbook; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def coerce_params(playbook: Playbook, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The params for one run of ``playbook``: typed, checked, with defaults filled in.

    A value of None counts as not given. Optional params without a default are None.
    """
    return coerce_values(playbook.params, raw)


def coerce_values(
    params: Mapping[str, Param], raw: Mapping[str, Any], *, noun: str = "param"
) -> dict[str, Any]:
    """``coerce_params`` for any set of declarations (a script's vars too); ``noun``
    names them in the problems."""
    problems: list[str] = []
    for name in raw:
        if name not in params:
            known = list(params)
            problems.append(f"unknown {noun} {name!r}{suggestion(str(name), known, f'{noun}s')}")
    result: dict[str, Any] = {}
    for name, param in params.items():
        value = raw.get(name)
        if value is None:
            if param.required:
                problems.append(f"{noun} {name!r} is required")
            result[name] = _copy(param.default)
            continue
        try:
            result[name] = coerce_value(param, value)
        except ValueError as error:
            problems.append(f"{noun} {name!r}: {error}")
    if problems:
        raise ParamError(problems)
    return result


def coerce_value(param: Param, value: Any) -> Any:
    """``value`` as ``param``'s type, within its bounds; ValueError says why not."""
    if param.type == "list":
        result: Any = [_item(param.item_type, item, n) for n, item in enumerate(_as_list(value), 1)]
    else:
        result = _scalar(param.type, value, param.choices)
    _check_bounds(param, result)
    return result


def _item(kind: ParamType, value: Any, number: int) -> Any:
    try:
        return _scalar(kind, value, ())
    except ValueError as error:
        raise ValueError(f"item {number}: {error}") from None


def _scalar(kind: ParamType, value: Any, choices: tuple[str, ...]) -> Any:
    if kind == "string":
        return _string(value)
    if kind == "enum":
        return _choice(_string(value), choices)
    if kind == "int":
        return _integer(value)
    if kind == "float":
        return _float(value)
    if kind == "bool":
        return _boolean(value)
    if kind == "duration":
        return _duration(value)
    raise ValueError(f"{show(value)} cannot be a list item")


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if is_number(value):
        return str(value)
    raise ValueError(f"expected text, got {show(value)}")


def _choice(value: str, choices: tuple[str, ...]) -> str:
    if value in choices:
        return value
    raise ValueError(f"{value!r} is not one of {', '.join(choices)}{hint(value, choices)}")


def _integer(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if is_number(value) and isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        try:
            return int(value.strip())
        except ValueError:
            pass  # more digits than Python will convert
    raise ValueError(f"expected a whole number, got {show(value)}")


def _float(value: Any) -> float:
    number: float | None = None
    if is_number(value):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise ValueError(f"expected a number, got {show(value)}")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"expected true or false (or yes/no), got {show(value)}")


def _duration(value: Any) -> str | int | float:
    # Kept as written, so a template shows "1h" rather than 3600.0.
    if not isinstance(value, str) and not is_number(value):
        raise ValueError(f"expected a duration such as 30s, 5m or 2h, got {show(value)}")
    try:
        parse_duration(value)
    except DurationError as error:
        raise ValueError(str(error)) from None
    return cast(str | int | float, value)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a list, got {show(value)}")
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list):
            raise ValueError(f"expected a JSON list or a,b,c; got {show(value)}")
        return parsed
    return [part.strip() for part in text.split(",")] if text else []


def _check_bounds(param: Param, value: Any) -> None:
    if param.type in ("string", "list"):
        size = len(value)
        unit = "characters" if param.type == "string" else "items"
        if param.min is not None and size < param.min:
            raise ValueError(f"needs at least {_number(param.min)} {unit}, got {size}")
        if param.max is not None and size > param.max:
            raise ValueError(f"allows at most {_number(param.max)} {unit}, got {size}")
        return
    if param.type not in ("int", "float"):
        return
    if param.min is not None and value < param.min:
        raise ValueError(f"must be at least {_number(param.min)}, got {value}")
    if param.max is not None and value > param.max:
        raise ValueError(f"must be at most {_number(param.max)}, got {value}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _copy(value: Any) -> Any:
    # Each run gets its own list, so no run can change the playbook's default.
    return list(value) if isinstance(value, list) else value
