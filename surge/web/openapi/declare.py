"""How a route describes itself: ``@describe(...)`` next to its ``@requires``.

Schemas are JSON Schema (2020-12, as OpenAPI 3.1 has it) written as dicts; a ``Schema``
object anywhere inside one names a shared shape, which the document lists once under
``components/schemas`` and refers to by ``$ref``. So a module declares its own shapes
(``NOTICE = Schema("Notice", {...})``) and nothing else has to know them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])
OPERATION_ATTR = "__surge_operation__"
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Schema:
    """A named JSON Schema, shared by reference."""

    name: str
    body: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"schema name {self.name!r}: use letters, digits, '.', '_', '-'")


ERROR = Schema(
    "Error",
    {
        "type": "object",
        "description": "Every error answer: what is wrong, and sometimes more to act on.",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "minLength": 1, "description": "what is wrong"},
            "problems": {
                "type": "array",
                "items": {"type": "string"},
                "description": "every reason a body was refused, at once",
            },
            "known": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the ids that do exist, when the one asked for does not",
            },
            "incident": {
                "type": "integer",
                "description": "the open incident that stands in the way (409 on trigger)",
            },
        },
    },
)


@dataclass(frozen=True)
class Param:
    """A path or query parameter."""

    name: str
    where: Literal["path", "query"]
    schema: Mapping[str, Any]
    description: str
    required: bool = False  # path parameters are always required
    example: Any = None


def path(name: str, schema: Mapping[str, Any], description: str, example: Any) -> Param:
    return Param(name, "path", schema, description, True, example)


def query(name: str, schema: Mapping[str, Any], description: str, example: Any = None) -> Param:
    return Param(name, "query", schema, description, False, example)


@dataclass(frozen=True)
class Body:
    """A JSON request body. ``required=False``: an empty body counts as ``{}``."""

    schema: Any
    description: str
    required: bool = False
    example: Any = None


@dataclass(frozen=True)
class Answer:
    """A response. Without a schema, an error answer (``{"error": reason, …}``)."""

    description: str
    schema: Any = ERROR
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)  # name: what it says
    also: tuple[str, ...] = ()  # more content types with the same schema (text/html)


@dataclass(frozen=True)
class Operation:
    id: str  # OpenAPI's operationId: unique, thing.verb
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    body: Body | None
    responses: Mapping[int, Answer]
    changes: bool | None  # records an audit entry on success; None: unless it is a GET


def describe(
    operation_id: str,
    summary: str,
    *,
    responses: Mapping[int, Answer | str],
    description: str = "",
    tags: Sequence[str] = (),
    params: Sequence[Param] = (),
    body: Body | None = None,
    changes: bool | None = None,
) -> Callable[[Handler], Handler]:
    """Describe a route for /openapi.json. ``responses`` maps each status the handler
    answers with to an ``Answer``, or to a text for an error answer. 401 and 403 (from
    ``@requires``), 400 and 413 (for a body), 404 (for path parameters) and 500 are added
    when not given."""
    if not _NAME.match(operation_id):
        raise ValueError(f"operation id {operation_id!r}: use letters, digits, '.', '_', '-'")
    operation = Operation(
        operation_id,
        summary,
        description,
        tuple(tags),
        tuple(params),
        body,
        {
            status: Answer(answer) if isinstance(answer, str) else answer
            for status, answer in responses.items()
        },
        changes,
    )

    def mark(handler: Handler) -> Handler:
        setattr(handler, OPERATION_ATTR, operation)
        return handler

    return mark


def operation_of(handler: object) -> Operation | None:
    found = getattr(handler, OPERATION_ATTR, None)
    return found if isinstance(found, Operation) else None
