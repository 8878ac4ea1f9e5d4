"""``/healthz``, ``/readyz`` and ``/metrics``: public, and telling the truth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from surge.plugin import hookimpl
from surge.runtime import Runtime
from surge.store import StoreUnavailable
from surge.store.records import Incident

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]
Settle = Callable[..., Awaitable[list[Any]]]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_when_the_engine_runs(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["status"] == "ready"
    assert body["checks"]["engine"] == "ok"
    assert body["checks"]["store"].startswith("ok (schema ")
    assert body["playbooks"] == 4
    assert body["playbook_problems"] == []


async def test_readyz_is_503_without_the_engine(make_client: ClientFactory) -> None:
    client = await make_client(run_engine=False)
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["engine"] == "not running"
    assert body["checks"]["store"].startswith("ok")
    assert (await client.get("/healthz")).status == 200


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (StoreUnavailable("the database is unreachable: timeout"), "the database is unreachable"),
        (RuntimeError("disk I/O error at /secret/path"), "RuntimeError"),  # only its type
    ],
)
async def test_readyz_is_503_when_the_store_fails(
    client: Client,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    shown: str,
) -> None:
    async def broken() -> int:
        raise failure

    monkeypatch.setattr(runtime.store, "schema_version", broken)
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["engine"] == "ok"
    assert body["checks"]["store"].startswith(f"failing: {shown}")
    assert "/secret/path" not in await response.text()


async def test_public_routes_need_no_token_and_ignore_a_bad_one(client: Client) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        for path in ("/healthz", "/readyz", "/metrics"):
            response = await client.get(path, headers=headers)
            assert response.status == 200, (path, headers)
            assert "WWW-Authenticate" not in response.headers


async def test_metrics_after_an_incident_ran(
    client: Client, runtime: Runtime, wait_settled: Settle
) -> None:
    headers = {"Authorization": "Bearer t-responder"}
    response = await client.post(
        "/api/v1/playbooks/pb/trigger", headers=headers, json={"params": {"reason": "metrics"}}
    )
    assert response.status == 201
    incident = await response.json()
    await wait_settled(runtime, incident["id"])

    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    for name in (
        "surge_incidents_total",
        "surge_steps_total",
        "surge_step_duration_seconds",
        "surge_plugin_errors_total",
        "surge_open_incidents",
    ):
        assert f"# TYPE {name}" in text, name
    found = samples(text)
    assert found[("surge_incidents_total", (("playbook", "pb"), ("trigger", "api")))] == 1
    assert found[("surge_steps_total", (("action", "probe.record"), ("outcome", "succeeded")))] == 1
    assert found[("surge_steps_total", (("action", "log"), ("outcome", "succeeded")))] == 1
    assert found[("surge_step_duration_seconds_count", (("action", "log"),))] == 1
    assert found[("surge_open_incidents", ())] == 1

    resolved = await client.post(f"/api/v1/incidents/{incident['id']}/resolve", headers=headers)
    assert resolved.status == 200
    assert samples(await (await client.get("/metrics")).text())[("surge_open_incidents", ())] == 0


class Crasher:
    """A plugin whose incident hook always raises."""

    name = "crasher"

    @hookimpl
    def surge_incident_opened(self, incident: Incident) -> None:
        raise RuntimeError("crasher is broken")


async def test_plugin_errors_are_counted(make_client: ClientFactory, wait_settled: Settle) -> None:
    client = await make_client(plugins=[Crasher()])
    response = await client.post(
        "/api/v1/playbooks/pb/trigger",
        json={"params": {"reason": "x"}},
        headers={"Authorization": "Bearer t-responder"},
    )
    assert response.status == 201, await response.text()
    found = samples(await (await client.get("/metrics")).text())
    errors = {
        labels: value
        for (name, labels), value in found.items()
        if name == "surge_plugin_errors_total"
    }
    assert list(errors.values()) == [1], errors
    [labels] = errors
    assert "crasher" in dict(labels)["plugin"]
