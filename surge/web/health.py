"""``/healthz``, ``/readyz`` and ``/metrics``: public, for load balancers and Prometheus."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from surge.web.keys import runtime

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
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
async def metrics(request: web.Request) -> web.Response:
    state = runtime(request)
    await state.engine.refresh_metrics()
    payload = generate_latest(state.engine.metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
