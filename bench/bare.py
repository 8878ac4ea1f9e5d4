"""The bare baseline: an aiohttp handler that parses the same JSON and inserts one row per
alert into SQLite in WAL mode (synchronous=NORMAL, surge's default), nothing else.

``python -m bench.bare --port P --db FILE [--relay URL]``: with ``--relay`` it also POSTs
the first alert on to URL once stored, the least any system does between an alert and
its first action (the baseline of the alert-to-first-action benchmark). The insert runs
on the event loop: for a one-row commit that is the fastest way, so the baseline is as
hard to reach as it can be.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time

import aiohttp
from aiohttp import web

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL,"
    " labels TEXT NOT NULL, received_at REAL NOT NULL)"
)


def make_app(db: sqlite3.Connection, relay: str | None) -> web.Application:
    app = web.Application()
    session: list[aiohttp.ClientSession] = []

    async def receive(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        alerts = body["alerts"]
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO alerts (fingerprint, labels, received_at) VALUES (?,?,?)",
            [(a["fingerprint"], json.dumps(a["labels"]), time.time()) for a in alerts],
        )
        db.execute("COMMIT")
        if relay is not None:
            async with session[0].post(relay, json=alerts[0]["labels"]) as answer:
                await answer.read()
        return web.json_response({"alerts": len(alerts)})

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    async def client(app: web.Application):  # type: ignore[no-untyped-def]
        session.append(aiohttp.ClientSession())
        yield
        await session[0].close()

    app.router.add_post("/alerts", receive)
    app.router.add_get("/readyz", ready)
    app.cleanup_ctx.append(client)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--relay")
    args = parser.parse_args()
    db = sqlite3.connect(args.db, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(SCHEMA)
    web.run_app(make_app(db, args.relay), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
