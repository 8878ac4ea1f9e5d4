"""``/healthz``, ``/readyz`` and ``/metrics``: public, for load balancers and Prometheus."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from surge.store import Store, StoreError
from surge.web.auth import public
from surge.web.keys import runtime
from surge.web.openapi import Answer, describe
from surge.web.schemas import OBJECT, TEXT, TEXTS, record

routes = web.RouteTableDef()
PROBE = "for load balancers and orchestrators, which hold no token"
STORE_TIMEOUT = 3.0  # seconds /readyz waits for the store before it says it is failing
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
        "replica": record(
            {
                "engine": {**TEXT, "description": "this process's engine id"},
                "leader": {"type": "boolean", "description": "whether it evaluates triggers"},
                "problem": {"type": ["string", "null"], "description": "why it cannot lead"},
            }
        ),
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
    checks = {"store": await _store_check(state.store), "engine": "ok"}
    if state.engine.worker.store_problem:  # reads work, writes do not (disk full)
        checks["store"] = f"failing to write: {state.engine.worker.store_problem}"
    if not state.engine.running:
        checks["engine"] = "not running"
    ready = checks["store"].startswith("ok") and state.engine.running
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "playbooks": len(state.playbooks),
        "playbook_problems": [str(problem) for problem in state.problems],
        "triggers": state.triggers.status(),
        "replica": {
            "engine": state.engine.id,
            "leader": state.leader.leading,
            "problem": state.leader.problem,
        },
    }
    return web.json_response(body, status=200 if ready else 503)


async def _store_check(store: Store) -> str:
    """``ok (schema N)``, or ``failing: why`` (a lost database connection says so at once)."""
    if store.problem is not None:
        return f"failing: {store.problem}"
    try:
        version = await asyncio.wait_for(store.schema_version(), STORE_TIMEOUT)
    except TimeoutError:
        return f"failing: the store did not answer within {STORE_TIMEOUT:g}s"
    except StoreError as error:
        return f"failing: {error}"
    except Exception as error:
        return f"failing: {type(error).__name__}"
    return f"ok (schema {version})"


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
