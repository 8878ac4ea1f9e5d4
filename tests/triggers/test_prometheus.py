"""The Prometheus client against a local server speaking the HTTP API's wire format."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from surge.config import PrometheusSettings
from surge.triggers.prometheus import PrometheusClient, PrometheusUnavailable

AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
async def prometheus(aiohttp_server, monkeypatch):
    seen: list[web.Request] = []
    answers: dict[str, tuple[int, object]] = {}

    async def query(request: web.Request) -> web.Response:
        seen.append(request)
        status, body = answers.get(
            request.query["query"],
            (200, {"status": "success", "data": {"resultType": "vector", "result": []}}),
        )
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/api/v1/query", query)
    server = await aiohttp_server(app)
    monkeypatch.setenv("PROM_TOKEN", "s3cret-token")
    settings = PrometheusSettings(
        str(server.make_url("")).rstrip("/"),
        timeout=2,
        headers={"X-Scope-OrgID": "cs"},
        bearer_token_env="PROM_TOKEN",
    )
    async with aiohttp.ClientSession() as session:
        yield PrometheusClient(settings, session), answers, seen


def vector(*series: tuple[dict[str, str], str]) -> dict[str, object]:
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": labels, "value": [AT.timestamp(), value]} for labels, value in series
            ],
        },
    }


async def test_a_vector_answer_becomes_samples(prometheus):
    client, answers, seen = prometheus
    answers["up > 0"] = (
        200,
        vector(({"__name__": "up", "job": "cs"}, "1"), ({"job": "web"}, "NaN")),
    )
    samples = await client.query("up > 0", AT)
    assert [(dict(s.labels), s.value) for s in samples] == [({"__name__": "up", "job": "cs"}, 1.0)]
    request = seen[0]
    assert request.query["time"] == f"{AT.timestamp():.3f}"
    assert request.headers["Authorization"] == "Bearer s3cret-token"
    assert request.headers["X-Scope-OrgID"] == "cs"


async def test_a_scalar_answer_is_one_sample_without_labels(prometheus):
    client, answers, _ = prometheus
    answers["scalar(1)"] = (
        200,
        {"status": "success", "data": {"resultType": "scalar", "result": [0, "3.5"]}},
    )
    [sample] = await client.query("scalar(1)", AT)
    assert (dict(sample.labels), sample.value) == ({}, 3.5)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            (400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}),
            "HTTP 400: parse error at char 3",
        ),
        ((503, "Service Unavailable"), "JSONDecodeError"),
        (
            (200, {"status": "success", "data": {"resultType": "matrix", "result": []}}),
            "expected a vector",
        ),
        (
            (
                200,
                {
                    "status": "success",
                    "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1]}]},
                },
            ),
            "malformed",
        ),
    ],
)
async def test_errors_and_odd_answers_are_unavailable_with_the_reason(prometheus, answer, reason):
    client, answers, _ = prometheus
    answers["q"] = answer
    with pytest.raises(PrometheusUnavailable, match=reason):
        await client.query("q", AT)


async def test_an_unreachable_prometheus_is_unavailable():
    settings = PrometheusSettings("http://127.0.0.1:9", timeout=1)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PrometheusUnavailable, match=r"ClientConnectorError|Connect"):
            await PrometheusClient(settings, session).query("up", AT)
