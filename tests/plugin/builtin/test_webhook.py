"""The ``webhook`` action against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest

from surge.config import WebhookTarget

SECRET = "whsec-7f3a9c1e-never-shown"
STEP = """
    id: pb
    title: Webhook
    params: {text: {type: string, default: hello}}
    steps:
      - id: notify
        action: webhook
        with: WITH
        retry: {attempts: 3, backoff: 10ms}
"""


def playbook(with_: str) -> str:
    return STEP.replace("WITH", with_)


@pytest.fixture
def hooked(config, receiver):
    """The config with webhook targets: ``rcv`` (signed) and ``other`` (unsigned)."""
    return replace(
        config,
        webhooks={
            "rcv": WebhookTarget(receiver.url, secret=SECRET, timeout=5.0),
            "other": WebhookTarget(receiver.url + "/other"),
        },
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but not listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def statuses(runs):
    return [(run.attempt, run.status.value) for run in runs]


async def test_posts_the_body_signed_with_the_idempotency_key(
    hooked, receiver, write_playbook, make_runtime, wait_settled, verify_signature
):
    write_playbook("pb", playbook('{target: rcv, body: {text: "{{ params.text }}", n: 3}}'))
    receiver.reply = lambda received: {"ticket": "T-9"}
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {"text": "市场活动 peak"}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "succeeded")]
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.json() == {"text": "市场活动 peak", "n": 3}
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["Idempotency-Key"] == f"{incident.id}:steps:notify:1"
    assert verify_signature(SECRET, request.headers, request.body)
    assert not verify_signature("another-secret", request.headers, request.body)
    assert not verify_signature(SECRET, request.headers, request.body + b" ")
    assert runs[0].result == {"status": 200, "response": {"ticket": "T-9"}}


async def test_without_a_body_it_sends_the_incident(
    hooked, receiver, write_playbook, make_runtime, wait_settled
):
    write_playbook("pb", playbook("{target: other}"))
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {"text": "x"}, actor="test")
    await wait_settled(runtime, incident.id)
    [request] = receiver.requests
    assert request.json() == {
        "incident": incident.id,
        "playbook": "pb",
        "status": "triggered",
        "step": "notify",
        "params": {"text": "x"},
    }
    assert "X-Surge-Signature" not in request.headers  # `other` has no secret


async def test_a_server_error_is_retried_with_a_new_key_then_succeeds(
    hooked, receiver, write_playbook, make_runtime, wait_settled, verify_signature
):
    write_playbook("pb", playbook("{target: rcv, body: {n: 1}}"))
    receiver.plan = [500]
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed"), (2, "succeeded")]
    assert runs[0].error is not None and "HTTP 500" in runs[0].error
    keys = [request.headers["Idempotency-Key"] for request in receiver.requests]
    assert keys == [f"{incident.id}:steps:notify:1", f"{incident.id}:steps:notify:2"]
    assert all(verify_signature(SECRET, r.headers, r.body) for r in receiver.requests)


async def test_a_client_error_fails_without_retry(
    hooked, receiver, write_playbook, make_runtime, wait_settled
):
    write_playbook("pb", playbook("{target: rcv, body: {n: 1}}"))
    receiver.plan = [400]
    receiver.reply = lambda received: {"error": "field n is not allowed"}
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed")]
    assert runs[0].error == (
        f'POST {receiver.url}: HTTP 400: {{"error": "field n is not allowed"}}'
    )
    assert len(receiver.requests) == 1


async def test_too_many_requests_is_retried(
    hooked, receiver, write_playbook, make_runtime, wait_settled
):
    write_playbook("pb", playbook("{target: rcv, body: {n: 1}}"))
    receiver.plan = [429, 429]
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed"), (2, "failed"), (3, "succeeded")]
    assert len(receiver.requests) == 3


async def test_an_unreachable_port_fails_retryably(
    config, closed_port, write_playbook, make_runtime, wait_settled
):
    url = f"http://127.0.0.1:{closed_port}/hook"
    down = replace(config, webhooks={"down": WebhookTarget(url, secret=SECRET, timeout=2.0)})
    write_playbook("pb", playbook("{target: down}"))
    runtime = await make_runtime(config=down)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert all(
        run.error and run.error.startswith(f"POST {url}: ClientConnectorError") for run in runs
    )


async def test_a_target_not_in_config_fails_with_the_known_targets(
    hooked, receiver, write_playbook, make_runtime, wait_settled
):
    write_playbook("pb", playbook("{target: pager}"))
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed")]  # not retried: config will not change by itself
    assert runs[0].error == "no webhook target 'pager' in config (known: other, rcv)"
    assert receiver.requests == []


async def test_a_redirect_is_not_followed(
    hooked, receiver, write_playbook, make_runtime, wait_settled
):
    write_playbook("pb", playbook("{target: rcv}"))
    receiver.plan = [307]
    receiver.headers = {"Location": "http://elsewhere.example/hook"}
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed")]
    assert runs[0].error is not None
    assert "HTTP 307 redirect to http://elsewhere.example/hook" in runs[0].error
    assert len(receiver.requests) == 1


async def test_a_playbook_cannot_forge_the_signature_or_the_key(
    hooked, receiver, write_playbook, make_runtime, wait_settled, verify_signature
):
    headers = "{idempotency-key: mine, x-surge-signature: sha256=forged, X-Team: cs}"
    write_playbook("pb", playbook(f"{{target: rcv, body: {{n: 1}}, headers: {headers}}}"))
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_settled(runtime, incident.id)
    [request] = receiver.requests
    assert request.headers.getall("Idempotency-Key") == [f"{incident.id}:steps:notify:1"]
    assert len(request.headers.getall("X-Surge-Signature")) == 1
    assert verify_signature(SECRET, request.headers, request.body)
    assert request.headers["X-Team"] == "cs"


async def test_a_playbook_cannot_add_a_signature_to_an_unsigned_target(
    hooked, receiver, write_playbook, make_runtime, wait_settled
):
    write_playbook("pb", playbook("{target: other, headers: {x-surge-signature: sha256=forged}}"))
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_settled(runtime, incident.id)
    [request] = receiver.requests
    assert "X-Surge-Signature" not in request.headers


async def test_the_secret_never_reaches_the_timeline_or_the_stored_runs(
    hooked, receiver, write_playbook, make_runtime, wait_settled, everything_stored
):
    # a careless receiver that echoes the secret back, first in an error, then in a result
    write_playbook("pb", playbook('{target: rcv, body: {note: "about {{ params.text }}"}}'))
    receiver.plan = [500]
    receiver.reply = lambda received: {"echo": f"your secret is {SECRET}", "secret": SECRET}
    runtime = await make_runtime(config=hooked)
    incident = await runtime.engine.trigger("pb", {"text": "outage"}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [(1, "failed"), (2, "succeeded")]
    stored = await everything_stored(runtime, incident.id)
    assert "your secret is ***" in stored  # the echo was kept, masked
    assert SECRET not in stored
    assert "X-Surge-Signature" not in stored and "sha256=" not in stored
    assert json.dumps(SECRET) not in stored


async def test_a_secret_from_the_environment_signs_and_a_missing_one_refuses_to_send(
    config, receiver, monkeypatch, write_playbook, make_runtime, wait_settled, verify_signature
):
    monkeypatch.setenv("SURGE_TEST_HOOK_SECRET", SECRET)
    targets = {
        "env": WebhookTarget(receiver.url, secret_env="SURGE_TEST_HOOK_SECRET"),
        "unset": WebhookTarget(receiver.url, secret_env="SURGE_TEST_HOOK_UNSET"),
    }
    write_playbook(
        "pb",
        """
        id: pb
        title: Env secrets
        steps:
          - {id: signed, action: webhook, with: {target: env, body: {n: 1}}}
          - {id: refused, action: webhook, with: {target: unset, body: {n: 2}},
             retry: {attempts: 3, backoff: 10ms}}
    """,
    )
    runtime = await make_runtime(config=replace(config, webhooks=targets))
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.step_id, run.status.value) for run in runs] == [
        ("signed", "succeeded"),
        ("refused", "failed"),
    ]
    assert runs[1].error == (
        "webhook target 'unset': $SURGE_TEST_HOOK_UNSET is not set; not sending unsigned"
    )
    [request] = receiver.requests
    assert verify_signature(SECRET, request.headers, request.body)
