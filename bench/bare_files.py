"""The bare baseline of the public pages: an aiohttp handler that answers fixed bytes.

``python -m bench.bare_files --port P --spec FILE``: FILE is JSON, ``{path: {"body": FILE,
"headers": {...}}}``; each path answers its body with the same headers surge sent (ETag,
Cache-Control, CORS…), so both send the same bytes. No middleware, no access log.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aiohttp import web


def make_app(spec: dict[str, dict[str, object]]) -> web.Application:
    app = web.Application()
    for path, entry in spec.items():
        body = Path(str(entry["body"])).read_bytes()
        headers = dict(entry["headers"])  # type: ignore[call-overload]

        async def answer(
            request: web.Request, body: bytes = body, headers: dict[str, str] = headers
        ) -> web.Response:
            return web.Response(body=body, headers=headers)

        app.router.add_get(path, answer)

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    app.router.add_get("/readyz", ready)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spec", required=True)
    args = parser.parse_args()
    spec = json.loads(Path(args.spec).read_text())
    web.run_app(make_app(spec), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
