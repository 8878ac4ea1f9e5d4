"""``/openapi.json``: valid OpenAPI 3.1, assembled from the routes' own declarations, and
complete: a route under /api (or one that needs a role) without a description fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from web.world import world_config

from surge.config import Config
from surge.plugin import hookimpl
from surge.roles import READ, RESPOND
from surge.web.app import create_app
from surge.web.auth import public, requires
from surge.web.openapi import Answer, Body, Schema, describe, path
from surge.web.openapi.assemble import described_routes, document, problems

THING = path("thing", {"type": "string"}, "which", "x")
DEMO = Schema("Demo", {"type": "object", "required": ["thing"], "properties": {"thing": {}}})


class DemoRoutes:
    """A plugin that adds routes the way issue 6, 7 or a Slack plugin will."""

    name = "demo"

    @requires(READ)
    @describe(
        "demo.show",
        "A demo thing",
        params=[THING],
        responses={200: Answer("the thing", DEMO), 404: "no such thing"},
    )
    async def show(self, request: web.Request) -> web.Response:
        return web.json_response({"thing": request.match_info["thing"]})

    @requires(RESPOND)
    @describe(
        "demo.change", "Change it", params=[THING], body=Body(DEMO, "it"), responses={200: "x"}
    )
    async def change(self, request: web.Request) -> web.Response:
        return web.json_response({"thing": "changed"})

    @hookimpl
    def surge_web_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/demo/{thing}", self.show)
        app.router.add_post("/api/v1/demo/{thing}", self.change)


@pytest.fixture
def app(tmp_path: Path) -> web.Application:
    return create_app(world_config(tmp_path), load_entry_points=False)


def test_the_document_is_valid_openapi_3_1(app: web.Application) -> None:
    spec = document(app)
    assert spec["openapi"] == "3.1.0"
    validate(spec, cls=OpenAPIV31SpecValidator)  # the OAS 3.1 meta-schema, and $refs resolve


def test_an_invalid_document_is_caught_by_the_validator(app: web.Application) -> None:
    spec = document(app)
    spec["paths"]["/api/v1/incidents"]["get"]["responses"]["200"] = {"content": {}}
    with pytest.raises(Exception, match="description"):
        validate(spec, cls=OpenAPIV31SpecValidator)


def test_every_route_is_described_and_nothing_is_stale(app: web.Application) -> None:
    assert problems(app) == []
    spec = document(app)
    for route in described_routes(app):
        assert route.path in spec["paths"], route.path
        assert route.method.lower() in spec["paths"][route.path], (route.method, route.path)
    served = {(route.method, route.path) for route in described_routes(app)}
    listed = {(method.upper(), route) for route, item in spec["paths"].items() for method in item}
    assert listed == served
    assert len(served) >= 19


async def test_it_is_served_without_a_token(app: web.Application, aiohttp_client: Any) -> None:
    client = await aiohttp_client(app)
    response = await client.get("/openapi.json")
    assert response.status == 200
    assert await response.json() == document(app)


def test_roles_are_the_security_alternatives(app: web.Application) -> None:
    spec = document(app)
    ack = spec["paths"]["/api/v1/incidents/{id}/{action}"]["post"]
    assert ack["security"] == [{"bearer": ["responder"]}, {"bearer": ["admin"]}]
    assert ack["x-surge-roles"] == ["responder", "admin"]
    assert ack["x-surge-permission"] == "respond"
    assert set(ack["responses"]) >= {"200", "400", "401", "403", "404", "409", "413", "500"}
    assert ack["parameters"][1]["schema"] == {"enum": ["ack", "mitigate", "resolve", "cancel"]}
    health = spec["paths"]["/healthz"]["get"]
    assert health["security"] == [] and "401" not in health["responses"]
    audit = spec["paths"]["/api/v1/audit"]["get"]
    assert audit["security"] == [{"bearer": ["admin"]}]
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]


def test_a_route_another_module_adds_is_described_by_its_own_declaration(
    tmp_path: Path,
) -> None:
    app = create_app(world_config(tmp_path), extra_plugins=[DemoRoutes()], load_entry_points=False)
    assert problems(app) == []
    spec = document(app)
    validate(spec, cls=OpenAPIV31SpecValidator)
    demo = spec["paths"]["/api/v1/demo/{thing}"]
    assert demo["get"]["operationId"] == "demo.show"
    assert demo["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Demo"
    }
    assert spec["components"]["schemas"]["Demo"]["required"] == ["thing"]
    assert demo["post"]["x-surge-audited"] is True and demo["get"]["x-surge-audited"] is False


def test_missing_and_stale_declarations_are_reported(config: Config) -> None:
    class Careless:
        name = "careless"

        async def plain(self, request: web.Request) -> web.Response:
            return web.json_response({})

        @requires(READ)
        async def undescribed(self, request: web.Request) -> web.Response:
            return web.json_response({})

        @public("a test")
        @describe("careless.stale", "Stale", params=[path("old", {}, "gone", 1)], responses={})
        async def stale(self, request: web.Request) -> web.Response:
            return web.json_response({})

        @public("a test")
        @describe("careless.stale", "Same id", responses={})
        async def twin(self, request: web.Request) -> web.Response:
            return web.json_response({})

        @hookimpl
        def surge_web_routes(self, app: web.Application) -> None:
            app.router.add_get("/api/v1/careless/plain", self.plain)
            app.router.add_get("/elsewhere", self.plain)
            app.router.add_get("/protected-elsewhere", self.undescribed)
            app.router.add_get("/api/v1/careless/{new}", self.stale)
            app.router.add_get("/api/v1/careless-twin", self.twin)

    app = create_app(config, extra_plugins=[Careless()], load_entry_points=False)
    found = problems(app)
    assert (
        "GET /api/v1/careless/plain: decides no access; add @requires(PERMISSION) or "
        "@public(WHY)" in found
    )
    assert (
        "GET /api/v1/careless/plain: not described; add @describe(...) next to its handler" in found
    )
    assert "GET /elsewhere: decides no access; add @requires(PERMISSION) or @public(WHY)" in found
    assert not any(line.startswith("GET /elsewhere: not described") for line in found)
    assert any(line.startswith("GET /protected-elsewhere: not described") for line in found)
    assert (
        "GET /api/v1/careless/{new}: describes path parameters ['old'], the route has ['new']"
        in found
    )
    assert any("operation id 'careless.stale' is used by" in line for line in found)
    assert len(found) == 6, found


def test_two_shapes_may_not_share_a_name(config: Config) -> None:
    class Clash:
        name = "clash"

        @public("a test")
        @describe("clash.a", "A", responses={200: Answer("a", Schema("Error", {"type": "null"}))})
        async def a(self, request: web.Request) -> web.Response:
            return web.json_response({})

        @hookimpl
        def surge_web_routes(self, app: web.Application) -> None:
            app.router.add_get("/api/v1/clash", self.a)

    app = create_app(config, extra_plugins=[Clash()], load_entry_points=False)
    with pytest.raises(ValueError, match="two different schemas are named 'Error'"):
        document(app)
