"""``/openapi.json`` from the app's router: every described route, with what it implies.

A route's roles come from its ``@requires`` (as bearer security, one alternative per
role, and ``x-surge-roles``), its own answers from its ``@describe``; 401 and 403 for a
protected route, 400 and 413 for one that takes a body, 404 for one with path
parameters and 500 for all are added when the route does not describe them itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from surge import __version__
from surge.roles import Permission
from surge.web.auth import console_access, public_reason, required_permission
from surge.web.openapi.declare import Answer, Operation, Param, Schema, operation_of

_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
SECURITY_SCHEME = "bearer"
_STANDARD = {  # answers many routes share, under components/responses
    "Unauthorized": Answer(
        "no bearer token, or one that is unknown or revoked",
        headers={"WWW-Authenticate": "Bearer"},
    ),
    "Forbidden": Answer("the token's role may not do this; the error names those that may"),
    "BadBody": Answer("the body is not a JSON object, or not valid JSON"),
    "TooLarge": Answer("the body is larger than 1 MiB"),
    "NotFound": Answer("nothing has this id"),
    "InternalError": Answer("a bug in surge; the error names a reference in the server log"),
}


@dataclass(frozen=True)
class Described:
    """One route of the app with what it declares: its access decision and description."""

    method: str
    path: str  # the OpenAPI path template, e.g. /api/v1/incidents/{id}
    path_params: tuple[str, ...]
    permission: Permission | None
    public: str | None
    operation: Operation | None

    @property
    def needs_description(self) -> bool:
        return self.path.startswith("/api/") or self.permission is not None


def described_routes(app: web.Application) -> Iterator[Described]:
    """Every route but the HEAD twins aiohttp adds to GET routes, and the operator
    console's pages: they are no API (a session cookie, not a bearer token, reaches them;
    tests/web/console checks that each decides who may see it)."""
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        if console_access(route.handler) is not None:
            continue
        canonical = route.resource.canonical
        handler = route.handler
        yield Described(
            route.method,
            _PATH_PARAM.sub(lambda match: "{" + match.group(1) + "}", canonical),
            tuple(_PATH_PARAM.findall(canonical)),
            required_permission(handler),
            public_reason(handler),
            operation_of(handler),
        )


def problems(app: web.Application) -> list[str]:
    """What is missing or stale: the route test fails on any."""
    found: list[str] = []
    seen: dict[str, str] = {}
    for route in described_routes(app):
        where = f"{route.method} {route.path}"
        if route.permission is None and route.public is None:
            found.append(f"{where}: decides no access; add @requires(PERMISSION) or @public(WHY)")
        operation = route.operation
        if operation is None:
            if route.needs_description:
                found.append(f"{where}: not described; add @describe(...) next to its handler")
            continue
        declared = tuple(param.name for param in operation.params if param.where == "path")
        if sorted(declared) != sorted(route.path_params):
            found.append(
                f"{where}: describes path parameters {list(declared)}, "
                f"the route has {list(route.path_params)}"
            )
        if operation.id in seen:
            found.append(f"{where}: operation id {operation.id!r} is used by {seen[operation.id]}")
        seen[operation.id] = where
    return found


def document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every described route of ``app``."""
    schemas = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for route in described_routes(app):
        if route.operation is not None:
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    responses = {name: _answer(answer, schemas) for name, answer in _STANDARD.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "surge",
            "version": __version__,
            "summary": "Runs the agreed response when a customer-facing service is under stress",
            "description": "Every error answer is a JSON object with an `error` string "
            "(`Error`). Protected routes take `Authorization: Bearer TOKEN`; the roles that "
            "may call each are its security alternatives and `x-surge-roles`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.schemas.items())),
            "responses": responses,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `surge token create` or `auth.tokens` "
                    "in the config; its role decides what it may do.",
                }
            },
        },
    }


@dataclass
class _Components:
    schemas: dict[str, Any] = field(default_factory=dict)
    _bodies: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """A schema with every ``Schema`` inside it registered and replaced by a $ref."""
        if isinstance(value, Schema):
            known = self._bodies.get(value.name)
            if known is not None and known is not value.body and known != value.body:
                raise ValueError(f"two different schemas are named {value.name!r}")
            if known is None:
                self._bodies[value.name] = value.body
                self.schemas[value.name] = {}  # placeholder: a schema may refer to itself
                self.schemas[value.name] = self.resolve(dict(value.body))
            return {"$ref": f"#/components/schemas/{value.name}"}
        if isinstance(value, Mapping):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.resolve(item) for item in value]
        return value


def _operation(route: Described, components: _Components) -> dict[str, Any]:
    operation = route.operation
    assert operation is not None
    responses = {
        str(status): _answer(answer, components)
        for status, answer in sorted(operation.responses.items())
    }
    standard = []
    if route.permission is not None:
        standard += [("401", "Unauthorized"), ("403", "Forbidden")]
    if operation.body is not None:
        standard += [("400", "BadBody"), ("413", "TooLarge")]
    if route.path_params:
        standard.append(("404", "NotFound"))
    standard.append(("500", "InternalError"))
    for status, name in standard:
        responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    result: dict[str, Any] = {
        "operationId": operation.id,
        "summary": operation.summary,
        "description": _description(route),
        "tags": list(operation.tags),
        "parameters": [_param(param, components) for param in operation.params],
        "responses": dict(sorted(responses.items())),
        "x-surge-audited": _audited(route),
    }
    if operation.body is not None:
        body = operation.body
        media: dict[str, Any] = {"schema": components.resolve(body.schema)}
        if body.example is not None:
            media["example"] = body.example
        result["requestBody"] = {
            "description": body.description,
            "required": body.required,
            "content": {"application/json": media},
        }
    if route.permission is not None:
        holders = route.permission.holders
        result["security"] = [{SECURITY_SCHEME: [role]} for role in holders]
        result["x-surge-roles"] = list(holders)
        result["x-surge-permission"] = route.permission.name
    else:
        result["security"] = []
        result["x-surge-public"] = route.public or ""
    return result


def _audited(route: Described) -> bool:
    assert route.operation is not None
    changes = route.operation.changes
    return route.method != "GET" if changes is None else changes


def _description(route: Described) -> str:
    assert route.operation is not None
    text = route.operation.description.strip()
    if route.permission is None:
        access = f"Public: {route.public}." if route.public else "Public."
    else:
        access = "Roles: " + ", ".join(route.permission.holders) + "."
        if route.permission.narrowed:
            access += f" Narrowed: {route.permission.narrowed}."
    return f"{text}\n\n{access}" if text else access


def _param(param: Param, components: _Components) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": param.name,
        "in": param.where,
        "description": param.description,
        "required": param.required or param.where == "path",
        "schema": components.resolve(param.schema),
    }
    if param.example is not None:
        result["example"] = param.example
    return result


def _answer(answer: Answer, components: _Components) -> dict[str, Any]:
    result: dict[str, Any] = {"description": answer.description}
    if answer.schema is not None:
        schema = {"schema": components.resolve(answer.schema)}
        result["content"] = {kind: schema for kind in (answer.content_type, *answer.also)}
    if answer.headers:
        result["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in answer.headers.items()
        }
    return result
