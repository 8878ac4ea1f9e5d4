"""The public routes of a real app: bytes from the in-memory snapshot, with ETag, CORS and
caching headers, 304s, languages, rebuilds after a publish here or on another replica,
the export after each rebuild, and no store read per request."""

from __future__ import annotations

import json

from statuspage.conftest import notices_of, publish_bad_day, rebuilt

from surge.store import StoreUnavailable
from surge.web.public import PUBLIC_PAGES

JSON_FILES = (
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/banner.json",
)
TYPES = {
    "/status": "text/html",
    "/history.atom": "application/atom+xml",
    "/banner.js": "text/javascript",
    **{path: "application/json" for path in JSON_FILES},
}


async def test_every_public_file_needs_no_token_and_carries_its_headers(public):
    await publish_bad_day(notices_of(public))
    await rebuilt(public)
    for path, kind in TYPES.items():
        answer = await public.get(path)
        assert answer.status == 200, path
        assert answer.content_type == kind and answer.charset == "utf-8"
        assert answer.headers["ETag"].startswith('"')
        assert answer.headers["Cache-Control"].startswith("public, max-age=")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        cors = answer.headers.get("Access-Control-Allow-Origin")
        assert cors == ("*" if path in JSON_FILES or path == "/banner.js" else None), path
    summary = await (await public.get("/api/v2/summary.json")).json()
    assert summary["status"]["indicator"] == "critical"
    assert [item["status"] for item in summary["incidents"]] == ["identified"]
    assert summary["scheduled_maintenances"][0]["status"] == "scheduled"
    banner = await (await public.get("/banner.json")).json()
    assert banner["banner"]["severity"] == "warning"


async def test_if_none_match_gets_a_304_without_a_body(public):
    first = await public.get("/banner.json")
    etag = first.headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await public.get("/banner.json", headers={"If-None-Match": sent})
        assert again.status == 304 and await again.read() == b""
        assert again.headers["ETag"] == etag and "Cache-Control" in again.headers
    changed = await public.get("/banner.json", headers={"If-None-Match": '"stale"'})
    assert changed.status == 200 and await changed.read() == await first.read()
    head = await public.head("/api/v2/status.json")
    assert head.status == 200 and head.headers["ETag"]


async def test_the_language_comes_from_lang_then_accept_language(public):
    await publish_bad_day(notices_of(public))
    await rebuilt(public)
    zh_tw = await public.get("/status", headers={"Accept-Language": "zh-HK,zh;q=0.8"})
    page = await zh_tw.text()
    assert '<html lang="zh-TW">' in page and zh_tw.headers["Content-Language"] == "zh-TW"
    assert zh_tw.headers["Vary"] == "Accept-Language"
    chosen = await public.get("/status?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in await chosen.text()
    plain = await public.get("/status")
    assert '<html lang="en">' in await plain.text()  # the page's own locale
    unknown = await public.get("/status?lang=xx-YY", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-CN">' in await unknown.text()
    zh = await (await public.get("/api/v2/status.json?lang=zh-CN")).json()
    assert zh["status"]["description"] == "服务严重中断"
    assert (await public.get("/banner.json?lang=zh-CN")).status == 200  # one file for all


async def test_a_publish_reaches_the_pages_and_the_export(public, tmp_path):
    pages = public.app[PUBLIC_PAGES]
    before = await (await public.get("/api/v2/summary.json")).json()
    assert before["incidents"] == [] and before["status"]["indicator"] == "none"
    ids = await publish_bad_day(notices_of(public))
    await rebuilt(public)
    after = await (await public.get("/api/v2/summary.json")).json()
    assert [item["id"] for item in after["incidents"]] == [str(ids["open"])]
    export = tmp_path / "export"
    served = await (await public.get("/api/v2/summary.json")).read()
    assert (export / "api" / "v2" / "summary.json").read_bytes() == served
    manifest = json.loads((export / "surge-export.json").read_text())
    assert manifest["revision"] == pages.snapshot.revision
    await notices_of(public).clear_banner(by="a")
    await rebuilt(public)
    assert (await (await public.get("/banner.json")).json())["banner"] is None
    assert json.loads((export / "banner.json").read_bytes())["banner"] is None


async def test_requests_never_read_the_store(public, monkeypatch):
    await publish_bad_day(notices_of(public))
    await rebuilt(public)
    store = public.app[PUBLIC_PAGES].notices.store
    reads = []
    original = store.status_rows

    async def counted(*args, **kwargs):
        reads.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "status_rows", counted)
    for _ in range(50):
        for path in TYPES:
            assert (await public.get(path)).status == 200
    assert reads == []

    async def gone(*args, **kwargs):
        raise StoreUnavailable("the database is unreachable")

    monkeypatch.setattr(store, "status_rows", gone)
    monkeypatch.setattr(store, "status_revision", gone)
    public.app[PUBLIC_PAGES].changed()
    answer = await public.get("/api/v2/summary.json")  # the last pages, while it is away
    assert answer.status == 200 and (await answer.json())["incidents"]


async def test_a_replica_rebuilds_when_another_publishes(make_public):
    first = await make_public()
    second = await make_public()  # the same store
    assert (await (await second.get("/api/v2/incidents/unresolved.json")).json())["incidents"] == []
    ids = await publish_bad_day(notices_of(first))
    await rebuilt(second)
    unresolved = await (await second.get("/api/v2/incidents/unresolved.json")).json()
    assert [item["id"] for item in unresolved["incidents"]] == [str(ids["open"])]
    await rebuilt(first)
    bodies = {await (await client.get("/api/v2/summary.json")).read() for client in (first, second)}
    assert len(bodies) == 1
    etags = {(await client.get("/status")).headers["ETag"] for client in (first, second)}
    assert len(etags) == 1  # replicas agree: a 304 from either holds for both


async def test_a_notice_with_script_is_inert_through_the_server(public):
    hostile = "<script>alert(1)</script>"
    await publish_bad_day(notices_of(public), workaround=hostile)
    await rebuilt(public)
    for path in TYPES:
        body = await (await public.get(path)).text()
        assert hostile not in body, path
    page = await (await public.get("/status?lang=en")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    banner = await (await public.get("/banner.json")).json()
    assert hostile in banner["banner"]["text"]["en"]  # intact as data
