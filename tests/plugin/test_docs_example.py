"""The example plugin in docs/plugins.md is the tested file, and it works in a real engine."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from surge.config import WebhookTarget
from surge.store.records import IncidentStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "surge_ticket_plugin.py"
DOC = ROOT / "docs" / "plugins.md"


def fenced_after(markdown: str, marker: str) -> str:
    """The fenced block that follows ``marker`` in the document."""
    found = re.search(re.escape(marker) + r"\s*```python\n(.*?)```", markdown, flags=re.S)
    assert found, f"no ```python block after {marker!r}"
    return found.group(1)


def test_the_documented_example_is_the_tested_file():
    shown = fenced_after(
        DOC.read_text(encoding="utf-8"), "<!-- docs/examples/surge_ticket_plugin.py -->"
    )
    assert shown == EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("surge_ticket_plugin_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_example_plugin_opens_a_ticket_and_comments_on_changes(
    example, receiver, write_playbook, make_runtime, wait_settled
):
    api = receiver.url.rsplit("/", 1)[0] + "/api"
    receiver.plan = [503]  # the first attempt fails; the retry carries a new key
    receiver.reply = lambda received: {"id": "T-42"} if received.path == "/api/tickets" else {}
    write_playbook(
        "pb",
        f"""
        id: pb
        title: Ticket
        params: {{channel: {{type: string, default: hotline}}}}
        steps:
          - id: ticket
            action: ticket.open
            with: {{url: "{api}", title: "{{{{ params.channel }}}} is down", priority: high}}
            retry: {{attempts: 2, backoff: 10ms}}
    """,
    )
    runtime = await make_runtime(plugins=[example.TicketPlugin()])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.attempt, run.status.value) for run in runs] == [(1, "failed"), (2, "succeeded")]
    assert runs[0].error == "ticket system: HTTP 503"
    assert runs[1].result == {"ticket": "T-42"}
    opened = [request for request in receiver.requests if request.path == "/api/tickets"]
    assert [request.headers["Idempotency-Key"] for request in opened] == [
        f"{incident.id}:steps:ticket:1",
        f"{incident.id}:steps:ticket:2",
    ]
    assert opened[1].json() == {
        "title": "hotline is down",
        "priority": "high",
        "reference": f"surge-incident-{incident.id}",
    }

    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "alice")
    await runtime.engine.events.drain()
    comments = [request for request in receiver.requests if request.path.endswith("/comments")]
    assert [(request.path, request.json()) for request in comments] == [
        ("/api/tickets/T-42/comments", {"body": "surge: triggered -> acknowledged by alice"})
    ]


async def test_a_failing_comment_lands_on_the_timeline(
    example, receiver, write_playbook, make_runtime, wait_settled
):
    api = receiver.url.rsplit("/", 1)[0] + "/api"
    receiver.reply = lambda received: {"id": "T-7"}
    write_playbook(
        "pb",
        f"""
        id: pb
        title: Ticket
        steps: [{{id: ticket, action: ticket.open, with: {{url: "{api}", title: down}}}}]
    """,
    )
    runtime = await make_runtime(plugins=[example.TicketPlugin()])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_settled(runtime, incident.id)
    receiver.plan = [500]
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "bob")
    await runtime.engine.events.drain()
    errors = [
        entry for entry in await runtime.store.timeline(incident.id) if entry.kind == "plugin.error"
    ]
    assert [entry.actor for entry in errors] == ["plugin:tickets"]
    assert "surge_incident_status_changed" in errors[0].message and "500" in errors[0].message


async def test_the_documented_signature_check_accepts_a_real_delivery_only(
    config, receiver, write_playbook, make_runtime, wait_settled
):
    namespace: dict[str, Any] = {}
    exec(fenced_after(DOC.read_text(encoding="utf-8"), "<!-- verify-signature -->"), namespace)
    verify = namespace["verify"]
    secret = "doc-example-secret"
    targets = {"rcv": WebhookTarget(receiver.url, secret=secret)}
    write_playbook(
        "pb",
        """
        id: pb
        title: Signed
        steps: [{id: send, action: webhook, with: {target: rcv, body: {text: hi}}}]
    """,
    )
    runtime = await make_runtime(config=replace(config, webhooks=targets))
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_settled(runtime, incident.id)
    [request] = receiver.requests
    headers = dict(request.headers)
    assert verify(secret, headers, request.body)
    assert not verify("wrong", headers, request.body)
    assert not verify(secret, headers, request.body.replace(b"hi", b"ho"))
    stale = {**headers, "X-Surge-Timestamp": str(int(headers["X-Surge-Timestamp"]) - 3600)}
    assert not verify(secret, stale, request.body)
