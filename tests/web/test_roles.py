"""Every route decides who may call it, and does as documented: each route is walked with
no token, forged ones and a token of every role, against the permission docs/http-api.md's
"Routes at a glance" table names for it and the roles surge.roles gives that permission."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from web.world import NAMES, TOKENS, world_config

from surge.roles import ADMIN, PERMISSIONS, ROLES, TRIGGER, Permission
from surge.runtime import Runtime
from surge.store.records import AuditOutcome, AuditQuery
from surge.web.app import create_app
from surge.web.keys import RUNTIME
from surge.web.openapi.assemble import Described, described_routes, document

Client = TestClient[web.Request, web.Application]
GLANCE = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/\S*)` \| (?:`([a-z-]+)`|(public)) \|", re.M)

# The role model as decided: which role holds which permission. Changing surge/roles.py
# without changing this is a failure on purpose: a change of who may do what is deliberate.
DECIDED = {
    "read": {"viewer", "responder", "comms", "admin"},
    "trigger": {"viewer", "responder", "comms", "admin"},
    "respond": {"responder", "admin"},
    "send-alerts": {"alert-source", "admin"},
    "audit": {"admin"},
    "publish": {"comms", "admin"},
}


def test_the_role_model_is_as_decided() -> None:
    assert {item.name: set(item.holders) for item in PERMISSIONS} == DECIDED
    for permission in PERMISSIONS:
        assert permission.allows(ADMIN)
        assert permission.means, f"{permission.name}: say what it lets a caller do"


def test_every_route_decides_with_a_named_permission(tmp_path: Path) -> None:
    app = create_app(world_config(tmp_path), load_entry_points=False)
    undecided, unnamed = [], []
    for route in described_routes(app):
        where = f"{route.method} {route.path}"
        if route.permission is None and route.public is None:
            undecided.append(where)
        if route.permission is not None and route.permission not in PERMISSIONS:
            unnamed.append(where)
    assert not undecided, f"add @requires(PERMISSION) or @public(WHY) to: {undecided}"
    assert not unnamed, f"name a Permission from surge/roles.py (not bare roles) on: {unnamed}"


def documented() -> dict[str, str]:
    """ "METHOD /path": the permission the docs' table names, or "public"."""
    rows = ROW.findall(GLANCE.read_text(encoding="utf-8"))
    assert len(rows) >= 17, "the table of routes in docs/http-api.md went missing"
    return {f"{method} {path}": name or public for method, path, name, public in rows}


def test_every_route_needs_the_permission_the_docs_name(tmp_path: Path) -> None:
    app = create_app(world_config(tmp_path), load_entry_points=False)
    table = documented()
    served = {}
    for route in described_routes(app):
        permission = route.permission.name if route.permission else "public"
        served[f"{route.method} {route.path}"] = permission
    missing = sorted(set(served) - set(table))
    assert not missing, f"add these routes to the table in docs/http-api.md: {missing}"
    assert not set(table) - set(served), "docs/http-api.md lists routes that do not exist"
    wrong = {where: (table[where], have) for where, have in served.items() if table[where] != have}
    assert not wrong, f"(documented, declared) permissions differ: {wrong}"


def example_request(route: Described, operation: dict[str, Any]) -> dict[str, Any]:
    """The route called with the examples its description gives."""
    path, params = route.path, []
    for param in operation["parameters"]:
        if "example" not in param:
            assert param["in"] != "path", f"{route.path}: give path parameter examples"
            continue
        value = param["example"]
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
        else:
            values = value if isinstance(value, list) else [value]
            params += [(param["name"], str(item)) for item in values]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return {"method": route.method, "path": path, "params": params, "json": body.get("example")}


def allowed(route: Described, request: dict[str, Any], runtime: Runtime) -> set[str]:
    """The roles that get past every check of who may call the route, as documented."""
    name = documented()[f"{route.method} {route.path}"]
    permission = next(item for item in PERMISSIONS if item.name == name)
    if not permission.narrowed:
        return set(permission.holders)
    assert permission is TRIGGER, f"teach this test how {permission.name} is narrowed"
    playbook_id = (request["json"] or {}).get("playbook") or request["path"].split("/")[-2]
    playbook = runtime.playbooks.get(playbook_id)
    assert playbook is not None, playbook_id
    return {ADMIN} | (set(permission.roles) & set(playbook.manual_roles()))


async def call(client: Client, request: dict[str, Any], token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await client.request(
        request["method"],
        request["path"],
        params=request["params"],
        json=request["json"],
        headers=headers,
    )
    return response.status, await response.text()


async def newest_audit(runtime: Runtime) -> Any:
    found = await runtime.audit.entries(AuditQuery(limit=1))
    return found[0] if found else None


async def test_every_route_answers_each_role_as_the_role_model_says(world: Client) -> None:
    runtime = world.app[RUNTIME]
    spec = document(world.app)
    walked = 0
    for route in described_routes(world.app):
        where = f"{route.method} {route.path}"
        operation = spec["paths"][route.path][route.method.lower()]
        request = example_request(route, operation)
        if documented()[where] == "public":  # nobody is turned away, a token changes nothing
            answers = set()
            for token in (None, "forged", *TOKENS.values()):
                status, text = await call(world, request, token)
                assert status not in (401, 403) and status < 500, f"{where} with {token}: {text}"
                answers.add(status)
            # a signed link's example cannot be valid for long: the same answer for everyone
            assert answers == {200} or "/{token}" in route.path, f"{where}: {answers}"
            assert len(answers) == 1, f"{where}: a token changed the answer: {answers}"
            walked += 1
            continue
        for token in (None, "", "surge_forged-0123456789", TOKENS["admin"] + "x"):
            before = await newest_audit(runtime)
            status, text = await call(world, request, token)
            assert status == 401, f"{where} with token {token!r}: {status} {text}"
            assert await newest_audit(runtime) == before, "a 401 is not audited"
        may = allowed(route, request, runtime)
        successes = 0
        audited = False
        # the roles turned away first, so that the first one allowed finds the records as
        # the examples expect (an ack after an ack is a conflict)
        for role in sorted(ROLES, key=lambda item: item in may):
            before = await newest_audit(runtime)
            status, text = await call(world, request, TOKENS[role])
            if role not in may:
                assert status == 403, f"{where} as {role}: {status} {text}"
                entry = await newest_audit(runtime)
                assert entry is not None and entry != before, f"{where}: 403 not audited"
                assert (entry.actor, entry.outcome) == (NAMES[role], AuditOutcome.DENIED)
                assert entry.action == operation["operationId"]
                continue
            assert status in (200, 201, 409), f"{where} as {role}: {status} {text}"
            successes += status < 300
            entry = await newest_audit(runtime)
            if status < 300 and entry != before:
                assert entry.actor == NAMES[role] and entry.outcome is AuditOutcome.OK
                audited = True
        assert successes, f"{where}: no role got a 2xx; fix its examples"
        assert audited == operation["x-surge-audited"], (
            f"{where}: x-surge-audited is {operation['x-surge-audited']}, but a success "
            f"{'did' if audited else 'did not'} write an audit entry"
        )
        walked += 1
    assert walked == len(list(described_routes(world.app))) >= 17


def test_a_permission_without_a_name_is_reported() -> None:
    from surge.web.auth import required_permission, requires

    @requires("responder", "comms")
    async def handler(request: web.Request) -> web.Response:
        raise AssertionError

    found = required_permission(handler)
    assert isinstance(found, Permission) and found not in PERMISSIONS
    assert found.holders == ("responder", "comms", "admin")
    with pytest.raises(ValueError, match="unknown role"):
        requires("superuser")
