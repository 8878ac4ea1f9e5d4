"""``/healthz``, ``/readyz`` and ``/metrics``: public, for load balancers and Prometheus."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from surge.store import Store, StoreError
from surge.web.keys import runtime

routes = web.RouteTableDef()
STORE_TIMEOUT = 3.0  # seconds /readyz waits for the store before it says it is failing


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    state = runtime(request)
    checks = {"store": await _store_check(state.store), "engine": "ok"}
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
async def metrics(request: web.Request) -> web.Response:
    state = runtime(request)
    await state.engine.refresh_metrics()
    payload = generate_latest(state.engine.metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
