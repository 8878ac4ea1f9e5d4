"""docs/http-api.md documents every route the app serves, and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path

from surge.config import Config
from surge.store.records import STATUS_VERBS
from surge.web.app import create_app
from surge.web.auth import console_access

DOC = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"
HEADING = re.compile(r"^### (GET|POST|PUT|PATCH|DELETE) (/\S*)$", re.MULTILINE)


def served(config: Config) -> set[str]:
    """Every route as "METHOD /path"; the status route once per action it takes. The
    console's pages are no API: docs/console.md lists them (tests/web/console checks)."""
    app = create_app(config, load_entry_points=False)
    routes = set()
    for route in app.router.routes():
        if route.method == "HEAD" or console_access(route.handler) is not None:
            continue
        path = route.resource.canonical if route.resource is not None else ""
        routes.add(f"{route.method} {path}")
        if "{action}" in path:
            routes.update(
                f"{route.method} {path.replace('{action}', action)}" for action in STATUS_VERBS
            )
    return routes


def test_every_route_is_documented(config: Config) -> None:
    text = DOC.read_text(encoding="utf-8")
    routes = served(config)
    assert len(routes) >= 13
    missing = sorted(route for route in routes if route not in text)
    assert not missing, f"docs/http-api.md does not mention: {missing}"


def test_every_documented_route_exists(config: Config) -> None:
    headings = {
        f"{method} {path}" for method, path in HEADING.findall(DOC.read_text(encoding="utf-8"))
    }
    assert headings, "no '### METHOD /path' headings found"
    assert headings <= served(config), headings - served(config)


def test_json_examples_parse() -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 8
    for block in blocks:
        value = json.loads(block)
        assert isinstance(value, dict)
        if "error" in value:
            assert isinstance(value["error"], str)
