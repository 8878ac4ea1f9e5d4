"""``/healthz``, ``/readyz`` and ``/metrics``: public, for load balancers and Prometheus."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from surge.web.auth import public
from surge.web.keys import runtime
from surge.web.openapi import Answer, describe
from surge.web.schemas import OBJECT, TEXT, TEXTS, record

routes = web.RouteTableDef()
PROBE = "for load balancers and orchestrators, which hold no token"
READY = record(
    {
        "status": {"enum": ["ready", "not ready"]},
        "checks": {
            "type": "object",
            "additionalProperties": TEXT,
            "description": "store and engine: ok, or why not",
        },
        "playbooks": {"type": "integer", "minimum": 0},
        "playbook_problems": TEXTS,
        "triggers": {**OBJECT, "description": "metric triggers: who evaluates, their health"},
    }
)


@routes.get("/healthz")
@public(PROBE)
@describe(
    "health.live",
    "The process serves requests (a liveness probe)",
    tags=["health"],
    responses={200: Answer("alive", record({"status": {"const": "ok"}}))},
)
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
@public(PROBE)
@describe(
    "health.ready",
    "The store answers and this process's engine runs (a readiness probe)",
    tags=["health"],
    responses={200: Answer("ready", READY), 503: Answer("not ready; a check says why", READY)},
)
async def readyz(request: web.Request) -> web.Response:
    state = runtime(request)
    checks: dict[str, str] = {}
    try:
        checks["store"] = f"ok (schema {await state.store.schema_version()})"
    except Exception as error:
        checks["store"] = f"failing: {type(error).__name__}"
    if state.engine.worker.store_problem:  # reads work, writes do not (disk full)
        checks["store"] = f"failing to write: {state.engine.worker.store_problem}"
    checks["engine"] = "ok" if state.engine.running else "not running"
    ready = checks["store"].startswith("ok") and state.engine.running
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "playbooks": len(state.playbooks),
        "playbook_problems": [str(problem) for problem in state.problems],
        "triggers": state.triggers.status(),
    }
    return web.json_response(body, status=200 if ready else 503)


@routes.get("/metrics")
@public("for Prometheus; counts only, nothing secret")
@describe(
    "health.metrics",
    "Prometheus metrics, in the text exposition format",
    tags=["health"],
    responses={200: Answer("the metrics", TEXT, content_type="text/plain")},
)
async def metrics(request: web.Request) -> web.Response:
    state = runtime(request)
    await state.engine.refresh_metrics()
    payload = generate_latest(state.engine.metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
