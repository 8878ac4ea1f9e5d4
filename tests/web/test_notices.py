"""``/api/v1/notices`` and ``/api/v1/components`` over HTTP: who may do what, every version
kept with its author, each change audited, and a 4xx with reasons for what is wrong."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from notices.conftest import COMPONENTS, OUTAGE, RESOLVED, SCRIPTS, approve_all

from surge.config import ScriptSettings
from surge.store.records import AuditQuery
from surge.web.keys import RUNTIME

NEW = {"script": "outage-initial", "vars": OUTAGE, "components": {"web-chat": "major_outage"}}


@pytest.fixture
async def client(make_client: Any, api_config: Any) -> Any:
    config = dataclasses.replace(api_config, scripts=ScriptSettings(SCRIPTS), components=COMPONENTS)
    made = await make_client(config=config, run_engine=False)
    await approve_all(made.app[RUNTIME])
    return made


async def test_comms_publish_update_and_resolve_and_every_version_is_kept(client, auth):
    created = await client.post("/api/v1/notices", json=NEW, headers=auth("comms"))
    assert created.status == 201, await created.text()
    first = await created.json()
    notice_id = first["notice"]["id"]
    assert first["version"]["number"] == 1 and first["version"]["author"] == "comms-token"
    assert first["notice"]["state"] == "investigating" and first["created"] is True
    update = {"script": "outage-initial", "vars": OUTAGE, "state": "identified"}
    answer = await client.post(
        f"/api/v1/notices/{notice_id}/versions", json=update, headers=auth("admin")
    )
    assert answer.status == 201 and (await answer.json())["notice"]["state"] == "identified"
    closing = {"script": "outage-resolved", "vars": RESOLVED}
    answer = await client.post(
        f"/api/v1/notices/{notice_id}/resolve", json=closing, headers=auth("comms")
    )
    assert answer.status == 201, await answer.text()
    shown = await (await client.get(f"/api/v1/notices/{notice_id}", headers=auth("viewer"))).json()
    assert shown["state"] == "resolved" and shown["components"] == {"web-chat": "operational"}
    assert [(v["number"], v["state"], v["author"]) for v in shown["versions"]] == [
        (1, "investigating", "comms-token"),
        (2, "identified", "admin-token"),
        (3, "resolved", "comms-token"),
    ]
    listed = await (await client.get("/api/v1/notices?open=false", headers=auth("viewer"))).json()
    assert [item["id"] for item in listed["notices"]] == [notice_id]
    entries = await client.app[RUNTIME].audit.entries(AuditQuery(action="notice.*"))
    assert [(e.action, e.actor, e.target) for e in reversed(entries)] == [
        ("notice.publish", "comms-token", f"notice:{notice_id}"),
        ("notice.update", "admin-token", f"notice:{notice_id}"),
        ("notice.resolve", "comms-token", f"notice:{notice_id}"),
    ]


async def test_only_comms_and_admin_publish_by_hand(client, auth):
    for role in ("viewer", "responder"):
        answer = await client.post("/api/v1/notices", json=NEW, headers=auth(role))
        assert answer.status == 403
    answer = await client.put(
        "/api/v1/components/app", json={"status": "major_outage"}, headers=auth("responder")
    )
    assert answer.status == 403
    assert (await client.get("/api/v1/notices", headers=auth("responder"))).status == 200


async def test_a_draft_is_published_later_by_someone_else(client, auth):
    drafted = await client.post(
        "/api/v1/notices", json={**NEW, "draft": True}, headers=auth("comms")
    )
    body = await drafted.json()
    assert drafted.status == 201 and body["version"]["status"] == "draft"
    assert body["notice"]["published_at"] is None
    path = f"/api/v1/notices/{body['notice']['id']}/versions/1/publish"
    published = await client.post(path, headers=auth("admin"))
    shown = await published.json()
    assert published.status == 200 and shown["version"]["published_by"] == "admin-token"
    assert shown["version"]["author"] == "comms-token"
    again = await client.post(path, headers=auth("admin"))
    assert again.status == 409 and "published already" in (await again.json())["error"]


async def test_preview_shows_each_locale_and_each_broken_rule(client, auth):
    hostile = {**OUTAGE, "workaround": "<script>alert(1)</script>，我们保证"}
    answer = await client.post(
        "/api/v1/notices/preview",
        json={"script": "outage-initial", "vars": hostile},
        headers=auth("viewer"),
    )
    assert answer.status == 200 and answer.content_type == "application/json"
    preview = await answer.json()
    assert not preview["ok"] and [item["locale"] for item in preview["locales"]] == [
        "zh-CN", "zh-TW", "en",
    ]  # fmt: skip
    zh = preview["locales"][0]
    assert "<script>alert(1)</script>" in zh["body"]  # a value, shown as it is
    assert [item["found"] for item in zh["body_violations"]] == ["保证"]
    refused = await client.post(
        "/api/v1/notices", json={**NEW, "vars": hostile}, headers=auth("comms")
    )
    assert refused.status == 400
    assert any("breaks a rule" in item for item in (await refused.json())["problems"])


async def test_what_is_wrong_gets_a_4xx_with_every_reason(client, auth):
    bad = {"script": "", "vars": [], "state": "sleeping", "components": {"web-chat": "down"},
           "colour": "red", "window": {"starts_at": "soon"}}  # fmt: skip
    answer = await client.post("/api/v1/notices", json=bad, headers=auth("comms"))
    assert answer.status == 400
    problems = (await answer.json())["problems"]
    assert len(problems) == 6, problems
    assert "unknown field 'colour'" in problems[0]
    missing = await client.get("/api/v1/notices/999", headers=auth("viewer"))
    assert missing.status == 404
    unknown = await client.post(
        "/api/v1/notices/999/resolve", json={"script": "outage-resolved"}, headers=auth("comms")
    )
    assert unknown.status == 404
    nowhere = await client.put(
        "/api/v1/components/nowhere", json={"status": "major_outage"}, headers=auth("comms")
    )
    assert nowhere.status == 404
    wrong = await client.put(
        "/api/v1/components/app", json={"status": "on fire"}, headers=auth("comms")
    )
    assert wrong.status == 400


async def test_components_are_listed_and_set_by_hand(client, auth):
    listed = await (await client.get("/api/v1/components", headers=auth("viewer"))).json()
    assert [item["id"] for item in listed["components"]] == ["web-chat", "hotline", "app", "email"]
    assert listed["components"][0]["group"]["name"]["en"] == "Service channels"
    assert {item["status"] for item in listed["components"]} == {"operational"}
    answer = await client.put(
        "/api/v1/components/app", json={"status": "degraded_performance"}, headers=auth("comms")
    )
    assert answer.status == 200
    assert (await answer.json())["status"] == "degraded_performance"
    [entry] = await client.app[RUNTIME].audit.entries(AuditQuery(action="component.set"))
    assert (entry.actor, entry.target, entry.detail) == (
        "comms-token", "component:app", {"status": "degraded_performance"},
    )  # fmt: skip


async def test_a_maintenance_is_created_with_its_window(client, auth):
    body = {
        "script": "maintenance-planned",
        "kind": "maintenance",
        "vars": {"service": "App", "window": "02:00–04:00", "alternative": "use the website"},
        "components": {"app": "under_maintenance"},
        "window": {
            "starts_at": "2030-03-03T02:00:00+08:00",
            "ends_at": "2030-03-03T04:00:00+08:00",
        },
    }
    answer = await client.post("/api/v1/notices", json=body, headers=auth("comms"))
    assert answer.status == 201, await answer.text()
    notice = (await answer.json())["notice"]
    assert (notice["kind"], notice["state"]) == ("maintenance", "scheduled")
    assert notice["window"] == {
        "starts_at": "2030-03-02T18:00:00+00:00", "ends_at": "2030-03-02T20:00:00+00:00",
    }  # fmt: skip


async def test_comms_show_and_clear_a_banner_by_hand(client, auth):
    body = {"script": "traffic-banner", "vars": {"self_service": "帮助中心"}, "link": "/help",
            "severity": "critical", "expires": "2h"}  # fmt: skip
    refused = await client.post("/api/v1/banners", json=body, headers=auth("responder"))
    assert refused.status == 403
    shown = await client.post("/api/v1/banners", json=body, headers=auth("comms"))
    assert shown.status == 201, await shown.text()
    banner = await shown.json()
    assert banner["severity"] == "critical" and "帮助中心" in banner["text"]["zh-CN"]
    assert banner["expires_at"] is not None and banner["shown_by"] == "comms-token"
    listed = await (await client.get("/api/v1/banners", headers=auth("viewer"))).json()
    assert listed["active"]["id"] == banner["id"]
    bad = await client.post(
        "/api/v1/banners", json={**body, "link": "javascript:alert(1)", "expires": "soon"},
        headers=auth("comms"),
    )  # fmt: skip
    assert bad.status == 400
    assert (await bad.json())["problems"] == [
        "a banner's link must be an http(s) URL or a path starting with /; "
        "got 'javascript:alert(1)'",
        "expires must be a duration such as 30m or 2h",
    ]
    cleared = await client.delete("/api/v1/banners", headers=auth("comms"))
    assert cleared.status == 200 and (await cleared.json()) == {"cleared": [banner["id"]]}
    listed = await (await client.get("/api/v1/banners", headers=auth("viewer"))).json()
    assert listed["active"] is None and listed["banners"][0]["cleared_by"] == "comms-token"
    entries = await client.app[RUNTIME].audit.entries(AuditQuery(action="banner.*"))
    assert [entry.action for entry in reversed(entries)] == ["banner.show", "banner.clear"]


@pytest.mark.parametrize("incident", ["0", "-1", "²", "1" * 19])
async def test_a_list_filtered_by_no_incident_id_is_a_400(client, auth, incident):
    answer = await client.get(f"/api/v1/notices?incident={incident}", headers=auth("viewer"))
    assert answer.status == 400
    assert "incident must be an incident's id" in (await answer.json())["problems"]
