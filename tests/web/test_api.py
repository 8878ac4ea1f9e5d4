"""``/api/v1``: every route, its roles, and what it says to bad input."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from support.probe import Probe

from surge.config import Config
from surge.runtime import Runtime
from surge.store.records import RunStatus, TokenRecord
from surge.web.app import create_app
from surge.web.auth import hash_token

Client = TestClient[web.Request, web.Application]
Auth = Callable[[str], dict[str, str]]
Settle = Callable[..., Awaitable[list[Any]]]

GOOD = {"reason": "disk full"}


async def error_of(response: ClientResponse, status: int) -> dict[str, Any]:
    """Check an error answer: the status, a JSON body with an "error" string, no traceback."""
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/json", text
    assert "Traceback" not in text
    body = json.loads(text)
    assert isinstance(body, dict)
    assert isinstance(body["error"], str) and body["error"]
    return body


async def trigger(
    client: Client,
    auth: Auth,
    playbook: str = "pb",
    role: str = "responder",
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/playbooks/{playbook}/trigger",
        headers=auth(role),
        json={"params": GOOD if params is None else params},
    )
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


# -- playbooks --


async def test_list_playbooks(client: Client, auth: Auth) -> None:
    response = await client.get("/api/v1/playbooks", headers=auth("viewer"))
    assert response.status == 200
    body = await response.json()
    assert body["problems"] == []
    by_id = {item["id"]: item for item in body["playbooks"]}
    assert set(by_id) == {"pb", "comms-only", "auto", "waiter"}
    pb = by_id["pb"]
    assert pb["title"] == "Probe playbook"
    assert pb["severity"] == "major"
    assert pb["triggers"] == [{"manual": {"roles": ["responder"]}}]
    assert pb["steps"] == ["first", "second"]
    assert pb["on_resolve"] == ["closing"]
    assert pb["params"]["reason"]["required"] is True
    assert pb["params"]["count"]["default"] == 1
    assert by_id["auto"]["triggers"][0]["alert"]["matchers"] == ['alertname="Down"']


# -- triggering --


async def test_trigger_route_opens_an_incident_that_runs(
    client: Client, auth: Auth, runtime: Runtime, probe: Probe, wait_settled: Settle
) -> None:
    response = await client.post(
        "/api/v1/playbooks/pb/trigger",
        headers=auth("responder"),
        json={"params": {"reason": "disk full", "count": 3}},
    )
    assert response.status == 201, await response.text()
    incident = await response.json()
    assert response.headers["Location"] == f"/api/v1/incidents/{incident['id']}"
    assert incident["status"] == "triggered"
    assert incident["playbook"] == "pb"
    assert incident["trigger"] == "api"
    assert incident["triggered_by"] == "responder-token"
    assert incident["params"] == {"reason": "disk full", "count": 3, "loud": False}

    runs = await wait_settled(runtime, incident["id"])
    assert [(run.step_id, run.status) for run in runs] == [
        ("first", RunStatus.SUCCEEDED),
        ("second", RunStatus.SUCCEEDED),
    ]
    assert [call.args["value"] for call in probe.calls] == ["disk full"]

    shown = await client.get(response.headers["Location"], headers=auth("viewer"))
    assert shown.status == 200
    assert (await shown.json())["id"] == incident["id"]


async def test_post_incidents_opens_an_incident_that_runs(
    client: Client, auth: Auth, runtime: Runtime, probe: Probe, wait_settled: Settle
) -> None:
    response = await client.post(
        "/api/v1/incidents",
        headers=auth("responder"),
        json={"playbook": "pb", "params": {"reason": "via incidents"}},
    )
    assert response.status == 201, await response.text()
    incident = await response.json()
    assert response.headers["Location"] == f"/api/v1/incidents/{incident['id']}"
    await wait_settled(runtime, incident["id"])
    assert [call.args["value"] for call in probe.calls] == ["via incidents"]


@pytest.mark.parametrize("body", [{}, {"playbook": ""}, {"playbook": 7}, {"params": GOOD}])
async def test_post_incidents_needs_a_playbook(client: Client, auth: Auth, body: Any) -> None:
    response = await client.post("/api/v1/incidents", headers=auth("responder"), json=body)
    assert "playbook" in (await error_of(response, 400))["error"]


async def test_unknown_playbook_is_404_with_the_known_ones(client: Client, auth: Auth) -> None:
    response = await client.post(
        "/api/v1/playbooks/nope/trigger", headers=auth("admin"), json={"params": {}}
    )
    body = await error_of(response, 404)
    assert "nope" in body["error"]
    assert sorted(body["known"]) == ["auto", "comms-only", "pb", "waiter"]
    response = await client.post(
        "/api/v1/incidents", headers=auth("admin"), json={"playbook": "nope"}
    )
    await error_of(response, 404)


async def test_trigger_without_a_body_uses_no_params(client: Client, auth: Auth) -> None:
    response = await client.post("/api/v1/playbooks/comms-only/trigger", headers=auth("comms"))
    assert response.status == 201, await response.text()
    response = await client.post("/api/v1/playbooks/pb/trigger", headers=auth("responder"))
    body = await error_of(response, 400)
    assert body["problems"] == ["param 'reason' is required"]


# -- listing and showing --


async def test_list_incidents_filters(client: Client, auth: Auth) -> None:
    first = await trigger(client, auth)
    second = await trigger(client, auth)
    other = await trigger(client, auth, "comms-only", "comms", {})
    acked = await client.post(f"/api/v1/incidents/{second['id']}/ack", headers=auth("responder"))
    assert acked.status == 200

    async def ids(query: str) -> list[int]:
        response = await client.get(f"/api/v1/incidents{query}", headers=auth("viewer"))
        assert response.status == 200, await response.text()
        return [item["id"] for item in (await response.json())["incidents"]]

    assert await ids("") == [other["id"], second["id"], first["id"]]  # newest first
    assert await ids("?status=acknowledged") == [second["id"]]
    assert await ids("?status=triggered") == [other["id"], first["id"]]
    assert await ids("?status=triggered&status=acknowledged") == [
        other["id"],
        second["id"],
        first["id"],
    ]
    assert await ids("?status=resolved") == []
    assert await ids("?playbook=comms-only") == [other["id"]]
    assert await ids("?playbook=pb&status=triggered") == [first["id"]]
    assert await ids("?limit=1") == [other["id"]]
    assert await ids("?limit=2&playbook=pb") == [second["id"], first["id"]]
    assert await ids("?limit=1000") == [other["id"], second["id"], first["id"]]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("limit=0", "limit must be from 1 to 1000"),
        (f"limit={'9' * 30}", "limit"),
        ("status=bogus", "triggered, acknowledged"),
        ("status=triggered&status=Triggered", "status"),
    ],
)
async def test_list_incidents_rejects_bad_filters(
    client: Client, auth: Auth, query: str, words: str
) -> None:
    response = await client.get(f"/api/v1/incidents?{query}", headers=auth("viewer"))
    assert words in (await error_of(response, 400))["error"]


async def test_show_has_steps_and_timeline(
    client: Client, auth: Auth, runtime: Runtime, wait_settled: Settle
) -> None:
    incident = await trigger(client, auth, params={"reason": "r", "count": 2})
    await wait_settled(runtime, incident["id"])
    response = await client.get(f"/api/v1/incidents/{incident['id']}", headers=auth("viewer"))
    assert response.status == 200
    body = await response.json()
    assert body["id"] == incident["id"] and body["status"] == "triggered"
    steps = [
        (step["step"], step["phase"], step["status"], step["attempt"]) for step in body["steps"]
    ]
    assert steps == [("first", "steps", "succeeded", 1), ("second", "steps", "succeeded", 1)]
    assert body["steps"][0]["args"] == {"value": "r"}
    assert body["steps"][1]["result"]["message"] == "count=2"
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds[0] == "incident.opened"
    assert kinds.count("step.succeeded") == 2
    assert "count=2" in [entry["message"] for entry in body["timeline"]]
    ids = [entry["id"] for entry in body["timeline"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_timeline_after(
    client: Client, auth: Auth, runtime: Runtime, wait_settled: Settle
) -> None:
    incident = await trigger(client, auth)
    await wait_settled(runtime, incident["id"])
    url = f"/api/v1/incidents/{incident['id']}/timeline"

    async def entries(query: str) -> list[int]:
        response = await client.get(url + query, headers=auth("viewer"))
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["incident"]["id"] == incident["id"]
        return [entry["id"] for entry in body["timeline"]]

    everything = await entries("")
    assert len(everything) >= 5
    assert await entries("?after=0") == everything
    assert await entries(f"?after={everything[1]}") == everything[2:]
    assert await entries(f"?after={everything[-1]}") == []
    assert await entries(f"?after={'9' * 40}") == []
    assert await entries(f"?after=-{'9' * 40}") == everything
    await error_of(await client.get(url + "?after=abc", headers=auth("viewer")), 400)
    await error_of(await client.get(url + "?after=①", headers=auth("viewer")), 400)
    await error_of(await client.get("/api/v1/incidents/999/timeline", headers=auth("viewer")), 404)


# -- status changes --


async def test_lifecycle_ack_mitigate_resolve(
    client: Client, auth: Auth, runtime: Runtime, probe: Probe, wait_settled: Settle
) -> None:
    incident = await trigger(client, auth)
    url = f"/api/v1/incidents/{incident['id']}"
    response = await client.post(f"{url}/ack", headers=auth("responder"), json={"note": "on it"})
    assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "acknowledged"
    await error_of(await client.post(f"{url}/ack", headers=auth("responder")), 409)

    response = await client.post(f"{url}/mitigate", headers=auth("responder"))
    assert (await response.json())["status"] == "mitigated"
    response = await client.post(f"{url}/resolve", headers=auth("responder"))
    assert response.status == 200
    resolved = await response.json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]

    body = await error_of(await client.post(f"{url}/cancel", headers=auth("responder")), 409)
    assert "resolved" in body["error"]
    await error_of(await client.post(f"{url}/mitigate", headers=auth("responder")), 409)

    await wait_settled(runtime, incident["id"])
    assert "closed" in [call.args["value"] for call in probe.calls_of("probe.record")]
    timeline = await (await client.get(url, headers=auth("viewer"))).json()
    notes = [
        (entry["actor"], entry["message"])
        for entry in timeline["timeline"]
        if entry["kind"] == "status"
    ]
    assert notes[0] == ("responder-token", "acknowledged by responder-token: on it")
    assert [message.split(" ")[0] for _, message in notes] == [
        "acknowledged",
        "mitigated",
        "resolved",
    ]


async def test_cancel_stops_a_waiting_incident(
    client: Client, auth: Auth, runtime: Runtime, wait_settled: Settle
) -> None:
    incident = await trigger(client, auth, "waiter", params={})
    # Cancel once the wait is parked: cancelling while the engine has claimed but not yet
    # started the step leaves the wait parked for its whole timeout (an engine race,
    # reported separately); this test is about the API.
    deadline = asyncio.get_running_loop().time() + 10
    while not any(
        run.status is RunStatus.WAITING for run in await runtime.store.runs(incident["id"])
    ):
        assert asyncio.get_running_loop().time() < deadline, "the wait never parked"
        await asyncio.sleep(0.01)
    url = f"/api/v1/incidents/{incident['id']}"
    response = await client.post(
        f"{url}/cancel", headers=auth("responder"), json={"note": "false alarm"}
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "cancelled"
    runs = await wait_settled(runtime, incident["id"])
    assert all(run.status.is_final for run in runs)
    await error_of(await client.post(f"{url}/ack", headers=auth("responder")), 409)
    await error_of(await client.post(f"{url}/resolve", headers=auth("responder")), 409)


@pytest.mark.parametrize("action", ["ack", "mitigate", "resolve", "cancel"])
async def test_status_change_of_an_unknown_incident_is_404(
    client: Client, auth: Auth, action: str
) -> None:
    response = await client.post(f"/api/v1/incidents/4242/{action}", headers=auth("responder"))
    assert "4242" in (await error_of(response, 404))["error"]


@pytest.mark.parametrize("raw", ["abc", "1.5", "-1", "%E2%91%A0", "0x10", "9" * 19, "1%0A"])
async def test_non_numeric_incident_ids_are_404(client: Client, auth: Auth, raw: str) -> None:
    for method, suffix in [
        ("GET", ""),
        ("GET", "/timeline"),
        ("POST", "/ack"),
        ("POST", "/resolve"),
    ]:
        response = await client.request(
            method, f"/api/v1/incidents/{raw}{suffix}", headers=auth("admin")
        )
        await error_of(response, 404)


async def test_unknown_incident_is_404(client: Client, auth: Auth) -> None:
    await error_of(await client.get("/api/v1/incidents/77", headers=auth("viewer")), 404)


@pytest.mark.parametrize("body", [b'{"note": 5}', b'{"note": ["a"]}', b"[]", b"{", b'"x"'])
async def test_status_change_rejects_a_bad_body(client: Client, auth: Auth, body: bytes) -> None:
    incident = await trigger(client, auth)
    response = await client.post(
        f"/api/v1/incidents/{incident['id']}/ack", data=body, headers=auth("responder")
    )
    await error_of(response, 400)
    shown = await client.get(f"/api/v1/incidents/{incident['id']}", headers=auth("viewer"))
    assert (await shown.json())["status"] == "triggered"


# -- auth --

PROTECTED = [
    ("GET", "/api/v1/playbooks"),
    ("POST", "/api/v1/playbooks/pb/trigger"),
    ("GET", "/api/v1/incidents"),
    ("POST", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/1"),
    ("GET", "/api/v1/incidents/1/timeline"),
    ("POST", "/api/v1/incidents/1/ack"),
    ("POST", "/api/v1/incidents/1/mitigate"),
    ("POST", "/api/v1/incidents/1/resolve"),
    ("POST", "/api/v1/incidents/1/cancel"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_missing_token_is_401(client: Client, method: str, path: str) -> None:
    for header in (None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwdw==", "t-admin"):
        headers = {} if header is None else {"Authorization": header}
        response = await client.request(method, path, headers=headers, json={"params": GOOD})
        body = await error_of(response, 401)
        assert "bearer" in body["error"].lower()
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_unknown_token_is_401(client: Client, method: str, path: str) -> None:
    response = await client.request(method, path, headers={"Authorization": "Bearer t-nobody"})
    assert "unknown" in (await error_of(response, 401))["error"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_token_that_is_not_utf8_is_401(client: Client) -> None:
    server = client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"GET /api/v1/incidents HTTP/1.1\r\nHost: test\r\n"
        b"Authorization: Bearer \xff\xfe\xc3\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), answer
    assert json.loads(body)["error"] == "unknown or revoked token"


async def test_token_in_the_store_works_until_revoked(client: Client, runtime: Runtime) -> None:
    now = datetime.now(UTC)
    await runtime.store.add_token(TokenRecord("ci-bot", "responder", hash_token("s3cret"), now))
    headers = {"Authorization": "Bearer s3cret"}
    response = await client.post(
        "/api/v1/playbooks/pb/trigger", headers=headers, json={"params": GOOD}
    )
    assert response.status == 201, await response.text()
    assert (await response.json())["triggered_by"] == "ci-bot"
    assert await runtime.store.revoke_token("ci-bot", now)
    await error_of(await client.get("/api/v1/incidents", headers=headers), 401)


async def test_viewer_reads_but_may_not_trigger_or_change(client: Client, auth: Auth) -> None:
    incident = await trigger(client, auth)
    for path in (
        "/api/v1/playbooks",
        "/api/v1/incidents",
        f"/api/v1/incidents/{incident['id']}",
        f"/api/v1/incidents/{incident['id']}/timeline",
    ):
        assert (await client.get(path, headers=auth("viewer"))).status == 200, path
    response = await client.post(
        "/api/v1/playbooks/pb/trigger", headers=auth("viewer"), json={"params": GOOD}
    )
    assert "responder" in (await error_of(response, 403))["error"]
    response = await client.post(
        "/api/v1/incidents", headers=auth("viewer"), json={"playbook": "pb", "params": GOOD}
    )
    await error_of(response, 403)
    for action in ("ack", "mitigate", "resolve", "cancel"):
        response = await client.post(
            f"/api/v1/incidents/{incident['id']}/{action}", headers=auth("viewer")
        )
        await error_of(response, 403)


@pytest.mark.parametrize(
    ("role", "playbook", "status"),
    [
        ("responder", "pb", 201),
        ("responder", "comms-only", 403),
        ("comms", "comms-only", 201),
        ("comms", "pb", 403),
        ("responder", "auto", 403),
        ("comms", "auto", 403),
        ("admin", "pb", 201),
        ("admin", "comms-only", 201),
        ("admin", "auto", 201),
    ],
)
async def test_manual_roles_decide_who_triggers(
    client: Client, auth: Auth, role: str, playbook: str, status: int
) -> None:
    params = GOOD if playbook == "pb" else {}
    for path, body in (
        (f"/api/v1/playbooks/{playbook}/trigger", {"params": params}),
        ("/api/v1/incidents", {"playbook": playbook, "params": params}),
    ):
        response = await client.post(path, headers=auth(role), json=body)
        if status == 201:
            assert response.status == 201, await response.text()
        else:
            error = (await error_of(response, status))["error"]
            assert repr(role) in error and playbook in error
            if playbook == "auto":
                assert "admin" in error


async def test_forbidden_is_decided_before_params_are_checked(client: Client, auth: Auth) -> None:
    response = await client.post(
        "/api/v1/playbooks/pb/trigger", headers=auth("viewer"), json={"params": "not an object"}
    )
    await error_of(response, 403)


async def test_admin_may_do_everything(client: Client, auth: Auth) -> None:
    incident = await trigger(client, auth, role="admin")
    for path in ("/api/v1/playbooks", "/api/v1/incidents", f"/api/v1/incidents/{incident['id']}"):
        assert (await client.get(path, headers=auth("admin"))).status == 200
    for action in ("ack", "resolve"):
        response = await client.post(
            f"/api/v1/incidents/{incident['id']}/{action}", headers=auth("admin")
        )
        assert response.status == 200, await response.text()


async def test_comms_reads_but_may_not_change_status(client: Client, auth: Auth) -> None:
    incident = await trigger(client, auth)
    assert (await client.get("/api/v1/incidents", headers=auth("comms"))).status == 200
    response = await client.post(f"/api/v1/incidents/{incident['id']}/ack", headers=auth("comms"))
    await error_of(response, 403)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_alert_source_may_not_use_the_incident_api(
    client: Client, auth: Auth, method: str, path: str
) -> None:
    response = await client.request(
        method, path, headers=auth("alert-source"), json={"params": GOOD, "playbook": "pb"}
    )
    assert "alert-source" in (await error_of(response, 403))["error"]


# -- bad input --

TWO_MB = b'{"params": {"reason": "' + b"x" * (2 * 1024 * 1024) + b'"}}'


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"params": {"reason": "x"}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"just text"', "JSON object"),
        (b"42", "JSON object"),
        (b"null", "JSON object"),
        (b'{"params": []}', '"params"'),
        (b'{"params": "reason=x"}', '"params"'),
        (b'{"params": null}', '"params"'),
        (b'{"params": {"reason": "x", "count": NaN}}', "NaN"),
        (b'{"params": {"reason": Infinity}}', "Infinity"),
        pytest.param(
            b'{"params": {"reason": 1' + b"0" * 5000 + b"}}",
            "not valid JSON",
            id="5000-digit-number",
        ),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested", id="nested-100000-deep"),
        pytest.param(b'{"params": {"reason": "\\ud800"}}', "surrogate", id="lone-surrogate"),
    ],
)
async def test_malformed_bodies_are_400(
    client: Client, auth: Auth, body: bytes, words: str
) -> None:
    with_playbook = body.replace(b'{"params"', b'{"playbook": "pb", "params"', 1)
    for path, data in (
        ("/api/v1/playbooks/pb/trigger", body),
        ("/api/v1/incidents", with_playbook),
    ):
        response = await client.post(path, data=data, headers=auth("responder"))
        assert words in (await error_of(response, 400))["error"]


async def test_a_surrogate_pair_is_fine(client: Client, auth: Auth) -> None:
    response = await client.post(
        "/api/v1/playbooks/pb/trigger",
        headers=auth("responder"),
        data=b'{"params": {"reason": "\\ud83d\\ude80 launch"}}',
    )
    assert response.status == 201, await response.text()
    assert (await response.json())["params"]["reason"] == "\N{ROCKET} launch"


async def test_unknown_params_are_listed(client: Client, auth: Auth, runtime: Runtime) -> None:
    response = await client.post(
        "/api/v1/playbooks/pb/trigger",
        headers=auth("responder"),
        json={"params": {"reason": "x", "colour": "red", "cuont": 2}},
    )
    body = await error_of(response, 400)
    assert body["error"] == "invalid params"
    assert len(body["problems"]) == 2
    assert "unknown param 'colour'" in body["problems"][0]
    assert "unknown param 'cuont'" in body["problems"][1]
    assert "count" in body["problems"][1]  # the suggestion
    assert await runtime.store.list_incidents() == []


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "param 'reason' is required"),
        ({"reason": {"a": 1}}, "param 'reason': expected text"),
        ({"reason": ["a"]}, "param 'reason': expected text"),
        ({"reason": "x", "count": "many"}, "param 'count': expected a whole number"),
        ({"reason": "x", "count": 1.5}, "param 'count': expected a whole number"),
        ({"reason": "x", "count": 11}, "param 'count': must be at most 10"),
        ({"reason": "x", "count": 0}, "param 'count': must be at least 1"),
        ({"reason": "x", "loud": "maybe"}, "param 'loud': expected true or false"),
        ({"reason": "x", "loud": 1}, "param 'loud': expected true or false"),
    ],
)
async def test_wrong_param_types_are_400(
    client: Client, auth: Auth, params: dict[str, Any], problem: str
) -> None:
    response = await client.post(
        "/api/v1/playbooks/pb/trigger", headers=auth("responder"), json={"params": params}
    )
    body = await error_of(response, 400)
    assert len(body["problems"]) == 1
    assert body["problems"][0].startswith(problem), body


async def test_every_problem_is_listed_at_once(client: Client, auth: Auth) -> None:
    response = await client.post(
        "/api/v1/playbooks/pb/trigger",
        headers=auth("responder"),
        json={"params": {"count": "x", "loud": "x", "extra": 1}},
    )
    problems = (await error_of(response, 400))["problems"]
    assert len(problems) == 4
    assert any("'reason' is required" in problem for problem in problems)


async def test_a_2mb_body_is_413(client: Client, auth: Auth, runtime: Runtime) -> None:
    for path in ("/api/v1/playbooks/pb/trigger", "/api/v1/incidents", "/api/v1/incidents/1/ack"):
        response = await client.post(path, data=io.BytesIO(TWO_MB), headers=auth("responder"))
        assert "too large" in (await error_of(response, 413))["error"]
    assert await runtime.store.list_incidents() == []


async def test_unknown_route_and_method_are_json(client: Client, auth: Auth) -> None:
    await error_of(await client.get("/api/v1/nothing-here", headers=auth("admin")), 404)
    response = await client.delete("/api/v1/incidents", headers=auth("admin"))
    await error_of(response, 405)
    assert "GET" in response.headers["Allow"]


# -- random input never makes a 5xx --

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters() | st.sampled_from("\ud800\udc00\udfff"), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_params = st.dictionaries(st.sampled_from(["reason", "count", "loud", "other"]), _json, max_size=4)
_nasty = st.one_of(  # raw JSON that json.dumps would not write
    st.integers(4200, 4500).map(lambda n: b'{"params": {"reason": ' + b"7" * n + b"}}"),
    st.integers(500, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([b"NaN", b"-Infinity", b'"\\udfff"']).map(
        lambda value: b'{"params": {"reason": ' + value + b"}}"
    ),
)
_bodies = st.one_of(
    st.binary(max_size=300),
    _nasty,
    _json.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"params": _params | _json},
        optional={"playbook": st.sampled_from(["pb", "auto", "x"]) | _json},
    ).map(lambda value: json.dumps(value).encode()),
)


def test_random_bodies_never_cause_a_server_error(api_config: Config, probe: Probe) -> None:
    loop = asyncio.new_event_loop()
    app = create_app(api_config, extra_plugins=[probe], load_entry_points=False)
    client: Client = TestClient(TestServer(app), loop=loop)
    loop.run_until_complete(client.start_server())
    headers = {"Authorization": "Bearer t-admin"}

    async def post(path: str, body: bytes) -> tuple[int, str, str]:
        response = await client.post(path, data=body, headers=headers)
        return response.status, response.content_type, await response.text()

    @settings(max_examples=100, deadline=None)
    @given(
        path=st.sampled_from(["/api/v1/playbooks/pb/trigger", "/api/v1/incidents"]), body=_bodies
    )
    def check(path: str, body: bytes) -> None:
        status, content_type, text = loop.run_until_complete(post(path, body))
        assert status < 500, text
        assert content_type == "application/json"
        assert "Traceback" not in text
        if status >= 400:
            assert isinstance(json.loads(text)["error"], str)

    try:
        check()
    finally:
        loop.run_until_complete(client.close())
        loop.close()
