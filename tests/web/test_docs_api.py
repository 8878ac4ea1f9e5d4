"""docs/api.md's generated parts are what ``surge openapi --docs`` writes; the examples in
docs/http-api.md fit the schemas in /openapi.json; the route example in docs/plugins.md
works as it says."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from web.world import NAMES, TOKENS, world_config

from surge.config import Config
from surge.plugin import hookimpl
from surge.store.records import AuditQuery
from surge.web.app import create_app
from surge.web.keys import RUNTIME
from surge.web.openapi.assemble import document, problems
from surge.web.openapi.reference import marked_parts, rewrite, sections

DOCS = Path(__file__).resolve().parents[2] / "docs"
SECTION = re.compile(r"^### (GET|POST) (/\S+)\n(.*?)(?=^##)", re.M | re.S)
JSON = re.compile(r"```json\n(.*?)```", re.S)


def core_document() -> dict[str, Any]:
    return document(create_app(Config(), load_entry_points=False, run_engine=False))


def test_the_generated_parts_are_up_to_date() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    fresh = sections(core_document())
    found = marked_parts(text)
    assert set(found) == {"roles", "reference"}
    for name, body in found.items():
        assert body == fresh[name], f"docs/api.md: run `surge openapi --docs docs/api.md` ({name})"
    assert rewrite(text, fresh) == text
    assert "### `POST /api/v1/incidents/{id}/{action}`" in found["reference"]
    assert "| `respond` |  | yes |  | yes |  |" in found["roles"]


def test_a_marker_without_a_part_is_an_error() -> None:
    with pytest.raises(ValueError, match="no generated part named 'nope'"):
        rewrite("<!-- begin generated: nope -->\nx\n<!-- end generated -->", {})


def test_every_json_example_in_the_guide_fits_its_route() -> None:
    spec = core_document()
    text = (DOCS / "http-api.md").read_text(encoding="utf-8") + "\n## end"
    checked = 0
    for method, path, body in SECTION.findall(text):
        operation = spec["paths"][path][method.lower()]
        schemas = [
            media["schema"]
            for answer in operation["responses"].values()
            for media in _resolve(spec, answer).get("content", {}).values()
        ]
        for block in JSON.findall(body):
            instance = __import__("json").loads(block)
            fits = [
                schema
                for schema in schemas
                if jsonschema.Draft202012Validator(
                    {**schema, "components": spec["components"]}
                ).is_valid(instance)
            ]
            assert fits, f"{method} {path}: this example fits none of its answers:\n{block}"
            checked += 1
    assert checked >= 15


def _resolve(spec: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in answer:
        name = answer["$ref"].rsplit("/", 1)[-1]
        found: dict[str, Any] = spec["components"]["responses"][name]
        return found
    return answer


async def test_the_route_example_in_the_plugin_guide_works(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    markdown = (DOCS / "plugins.md").read_text(encoding="utf-8")
    [code] = re.findall(
        r"## HTTP routes: roles, OpenAPI and the audit log\n.*?```python\n(.*?)```", markdown, re.S
    )
    module = types.ModuleType("tickets_example")
    exec(compile(code, "docs/plugins.md", "exec"), module.__dict__)

    class Tickets:
        name = "tickets"

        @hookimpl
        def surge_web_routes(self, app: web.Application) -> None:
            app.add_routes(module.routes)

    app = create_app(world_config(tmp_path), extra_plugins=[Tickets()], load_entry_points=False)
    assert problems(app) == []
    spec = document(app)
    assert spec["paths"]["/plugins/tickets/{ticket}"]["get"]["x-surge-roles"][0] == "viewer"
    assert "Ticket" in spec["components"]["schemas"]
    client = await aiohttp_client(app)
    viewer = {"Authorization": f"Bearer {TOKENS['viewer']}"}
    assert (await client.get("/plugins/tickets/T-1", headers=viewer)).status == 200
    assert (await client.post("/plugins/tickets/T-1/close", headers=viewer)).status == 403
    responder = {"Authorization": f"Bearer {TOKENS['responder']}"}
    assert (await client.post("/plugins/tickets/T-1/close", headers=responder)).status == 200
    found = await client.app[RUNTIME].audit.entries(AuditQuery(limit=2))
    assert [(entry.actor, entry.action, entry.target) for entry in found] == [
        (NAMES["responder"], "ticket.close", "ticket:T-1"),
        (NAMES["viewer"], "tickets.close", "/plugins/tickets/T-1/close"),
    ]
