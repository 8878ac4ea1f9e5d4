"""The notice composer: only approved scripts, the preview in every locale with broken
rules marked, drafts and publishing by role, each audited; a new version of a notice."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from web.console.conftest import csrf_of
from web.world import NAMES, SCRIPT_VARS

from surge.notices.model import ComponentStatus, NoticeState, VersionStatus
from surge.store.records import AuditQuery
from surge.web.keys import RUNTIME


def form(page: str, **values: str) -> dict[str, str]:
    fields = {f"var.{name}": value for name, value in SCRIPT_VARS.items()}
    return {"csrf": csrf_of(page), "script": "outage-initial", "state": "investigating",
            "audience": "public", **fields, **values}  # fmt: skip


async def test_only_comms_and_admins_compose(make_console) -> None:
    for role in ("viewer", "responder"):
        client = await make_console(role)
        assert (await client.get("/console/notices")).status == 403
        assert (await client.get("/console/notices/new")).status == 403
        menu = await (await client.get("/console/")).text()
        assert "/console/notices" not in menu
    comms = await make_console("comms")
    page = await (await comms.get("/console/notices/new")).text()
    assert 'href="/console/notices/new?script=outage-initial"' in page
    assert 'id="script-outage-notice"' in page and "not approved" in page  # shown, not offered
    assert 'href="/console/notices/new?script=outage-notice"' not in page


async def test_the_preview_shows_every_locale_and_marks_broken_rules(make_console) -> None:
    client = await make_console("comms")
    page = await (await client.get("/console/notices/new?script=outage-initial")).text()
    assert 'name="var.eta"' in page and 'name="component.web-chat"' in page
    assert "var &#39;eta&#39; is required" in page  # nothing typed yet
    typed = urlencode({f"var.{name}": value for name, value in SCRIPT_VARS.items()})
    page = await (await client.get(f"/console/notices/new?script=outage-initial&{typed}")).text()
    assert page.count('class="card preview"') == 3  # zh-CN, zh-TW, en, all fine
    promise = "我们保证 <b>全额退款</b>"
    response = await client.post(
        "/console/notices/preview", data=form(page, **{"var.workaround": promise})
    )
    preview = await response.text()
    assert response.status == 200
    [broken] = re.findall(r'<article class="card preview broken" data-locale="zh-CN"', preview)
    assert broken
    assert '<mark class="violation forbidden"' in preview
    assert "<b>" not in preview and "&lt;b&gt;" in preview  # the var is text, escaped
    missing = await client.post("/console/notices/preview", data=form(page, **{"var.eta": ""}))
    assert "var &#39;eta&#39; is required" in await missing.text()


async def test_a_draft_then_publishing_it_each_audited(make_console) -> None:
    client = await make_console("comms")
    runtime = client.app[RUNTIME]
    page = await (await client.get("/console/notices/new?script=outage-initial")).text()
    response = await client.post(
        "/console/notices/draft",
        data=form(page, **{"component.web-chat": "major_outage", "incident": "1"}),
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    notice_id = int(response.headers["Location"].split("/")[-1].split("?")[0])
    [version] = await runtime.store.notice_versions(notice_id)
    assert version.status is VersionStatus.DRAFT and version.author == NAMES["comms"]
    assert version.components == {"web-chat": ComponentStatus.MAJOR_OUTAGE}
    notice = await runtime.store.notice(notice_id)
    assert notice is not None and notice.incident_id == 1 and notice.published_at is None
    page = await (await client.get(response.headers["Location"])).text()
    assert "Kept as a draft" in page and 'id="publish-1"' in page
    admin = await make_console("admin")
    page = await (await admin.get(f"/console/notices/{notice_id}")).text()
    response = await admin.post(
        f"/console/notices/{notice_id}/versions/1/publish",
        data={"csrf": csrf_of(page)},
        allow_redirects=False,
    )
    assert response.status == 303
    [version] = await runtime.store.notice_versions(notice_id)
    assert version.is_published and version.published_by == NAMES["admin"]
    again = await admin.post(
        f"/console/notices/{notice_id}/versions/1/publish", data={"csrf": csrf_of(page)}
    )
    assert again.status == 409
    actions = [
        (e.action, e.actor) for e in await runtime.audit.entries(AuditQuery(action="notice.*"))
    ]
    assert actions == [("notice.publish", NAMES["admin"]), ("notice.draft", NAMES["comms"])]


async def test_publish_at_once_and_a_new_version(make_console) -> None:
    client = await make_console("comms")
    runtime = client.app[RUNTIME]
    page = await (await client.get("/console/notices/new?script=outage-initial")).text()
    response = await client.post("/console/notices/publish", data=form(page), allow_redirects=False)
    notice_id = int(response.headers["Location"].split("/")[-1].split("?")[0])
    page = await (
        await client.get(f"/console/notices/new?notice={notice_id}&script=outage-initial")
    ).text()
    assert f'name="notice" value="{notice_id}"' in page
    response = await client.post(
        "/console/notices/publish",
        data={**form(page, state="identified"), "notice": str(notice_id)},
        allow_redirects=False,
    )
    assert response.status == 303
    versions = await runtime.store.notice_versions(notice_id)
    assert [(v.number, v.state) for v in versions] == [
        (1, NoticeState.INVESTIGATING),
        (2, NoticeState.IDENTIFIED),
    ]
    listing = await (await client.get("/console/notices")).text()
    assert f'data-notice="{notice_id}"' in listing


async def test_a_text_that_breaks_a_rule_is_never_kept(make_console) -> None:
    client = await make_console("comms")
    runtime = client.app[RUNTIME]
    before = await runtime.store.notices()  # the world's own
    page = await (await client.get("/console/notices/new?script=outage-initial")).text()
    response = await client.post(
        "/console/notices/publish", data=form(page, **{"var.workaround": "我们保证全额退款"})
    )
    assert response.status == 400 and "breaks a rule" in await response.text()
    assert await runtime.store.notices() == before
    response = await client.post(
        "/console/notices/publish", data=form(page, script="outage-notice")
    )
    assert response.status == 409 and "approve" in await response.text()
    assert await runtime.store.notices() == before
