"""docs/api.md's generated parts: the roles table (from ``surge.roles``) and the route
reference (from the OpenAPI document), between markers that ``surge openapi --docs``
rewrites and a test compares."""

from __future__ import annotations

import json
import re
from typing import Any

from surge.roles import PERMISSIONS, ROLES

METHODS = ("get", "post", "put", "patch", "delete")
_MARKED = re.compile(
    r"(<!-- begin generated: (?P<name>[a-z]+)[^>]*-->\n)(?P<body>.*?)(<!-- end generated -->)",
    re.DOTALL,
)


def sections(document: dict[str, Any]) -> dict[str, str]:
    """Each generated part by its marker name."""
    return {"roles": roles_table(), "reference": route_reference(document)}


def rewrite(text: str, parts: dict[str, str]) -> str:
    """``text`` with each marked part replaced; a marker without a part is an error."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in parts:
            raise ValueError(f"no generated part named {name!r}; known: {', '.join(parts)}")
        return match.group(1) + parts[name] + match.group(4)

    return _MARKED.sub(replace, text)


def marked_parts(text: str) -> dict[str, str]:
    return {match["name"]: match["body"] for match in _MARKED.finditer(text)}


def roles_table() -> str:
    header = "| permission | " + " | ".join(f"`{role}`" for role in ROLES) + " | lets a caller |"
    lines = [header, "|---|" + "---|" * len(ROLES) + "---|"]
    for permission in PERMISSIONS:
        marks = " | ".join("yes" if permission.allows(role) else "" for role in ROLES)
        means = permission.means + (f"; {permission.narrowed}" if permission.narrowed else "")
        lines.append(f"| `{permission.name}` | {marks} | {means} |")
    return "\n".join(lines) + "\n"


def route_reference(document: dict[str, Any]) -> str:
    parts: list[str] = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                parts.append(_operation(method.upper(), path, item[method]))
    parts.append(_standard(document["components"]["responses"]))
    parts.append(_schemas(document["components"]["schemas"]))
    return "\n".join(parts)


def _standard(responses: dict[str, Any]) -> str:
    lines = ["### Standard answers", "", "| name | answer |", "|---|---|"]
    lines += [f"| {name} | {_answer(answer)} |" for name, answer in responses.items()]
    return "\n".join(lines) + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    roles = operation.get("x-surge-roles")
    access = "public" if roles is None else "roles: " + ", ".join(roles)
    audited = "audited" if operation["x-surge-audited"] else "not audited"
    lines = [
        f"### `{method} {path}`",
        "",
        f"{operation['summary']}. `{operation['operationId']}`; {access}; {audited}.",
        "",
    ]
    paragraphs = operation["description"].split("\n\n")
    if paragraphs[-1].startswith(("Roles:", "Public")):  # said in the line above already
        paragraphs.pop()
    if paragraphs:
        lines += ["\n\n".join(paragraphs), ""]
    if operation["parameters"]:
        lines += ["| parameter | in | type | description |", "|---|---|---|---|"]
        for param in operation["parameters"]:
            required = "" if param["required"] else " (optional)"
            lines.append(
                f"| `{param['name']}` | {param['in']}{required} | {type_of(param['schema'])} "
                f"| {param['description']} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body is not None:
        media = body["content"]["application/json"]
        needed = "required" if body["required"] else "optional, an empty body is `{}`"
        lines += [f"Body ({needed}): {type_of(media['schema'])}: {body['description']}.", ""]
        if "example" in media:
            lines += ["```json", json.dumps(media["example"], ensure_ascii=False), "```", ""]
    lines += ["| status | answer |", "|---|---|"]
    for status, answer in operation["responses"].items():
        lines.append(f"| {status} | {_answer(answer)} |")
    return "\n".join(lines) + "\n"


def _answer(answer: dict[str, Any]) -> str:
    if "$ref" in answer:
        return f"see [{answer['$ref'].rsplit('/', 1)[-1]}](#standard-answers)"
    content = answer.get("content", {})
    shapes = [
        type_of(media["schema"]) + ("" if kind == "application/json" else f" ({kind})")
        for kind, media in content.items()
    ]
    return str(answer["description"]) + (": " + ", ".join(shapes) if shapes else "")


def _schemas(schemas: dict[str, Any]) -> str:
    lines = ["### Schemas", ""]
    for name, schema in schemas.items():
        lines += [f"#### {name}", ""]
        if schema.get("description"):
            lines += [schema["description"], ""]
        shared = [type_of(part) for part in schema.get("allOf", []) if "$ref" in part]
        if shared:
            lines += ["The fields of " + " and ".join(shared) + ", and:", ""]
        members = [schema, *schema.get("allOf", [])]
        rows = [
            (key, value)
            for member in members
            for key, value in member.get("properties", {}).items()
        ]
        if rows:
            lines += ["| field | type | description |", "|---|---|---|"]
            lines += [
                f"| `{key}` | {type_of(value)} | {value.get('description', '')} |"
                for key, value in rows
            ]
        else:
            lines.append(type_of(schema))
        lines.append("")
    return "\n".join(lines)


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: `Incident`, `[string]`, `triggered \\| acknowledged`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "allOf" in schema:
        return " and ".join(type_of(part) for part in schema["allOf"])
    if "oneOf" in schema:
        return " or ".join(type_of(part) for part in schema["oneOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type", "any JSON value")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and "properties" in schema:
        return "object {" + ", ".join(f"`{key}`" for key in schema["properties"]) + "}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    return str(kind)
