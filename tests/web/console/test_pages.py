"""The console's pages in process: the incidents list and its filters, an incident's
buttons by role and status (the server checks the role again), CSRF on every form that
changes something, the trigger form checked as the CLI checks params, and languages."""

from __future__ import annotations

import re

import pytest
from web.console.conftest import csrf_of
from web.world import NAMES

from surge.playbook.params import ParamError, coerce_params
from surge.store.records import AuditOutcome, AuditQuery, IncidentStatus
from surge.web.keys import RUNTIME

BUTTONS = re.compile(r'id="do-(\w+)"')


async def test_the_list_shows_incidents_and_filters_them(make_console) -> None:
    client = await make_console("viewer")
    page = await (await client.get("/console/")).text()
    assert 'data-id="1"' in page and "Example response" in page
    assert "<script" in page and 'src="/console/static/console.js"' in page
    for query, shown in (
        ("status=open", True),
        ("status=resolved", False),
        ("playbook=example", True),
        ("playbook=channel-down", False),
        ("status=bogus", True),
    ):
        page = await (await client.get(f"/console/?{query}")).text()
        assert ('data-id="1"' in page) is shown, query
    response = await client.get("/console/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_text_from_outside_is_escaped(make_console) -> None:
    client = await make_console("responder")
    runtime = client.app[RUNTIME]
    hostile = "<script>alert(1)</script>{{ 7*7 }}"
    incident = await runtime.engine.trigger("example", {"reason": hostile}, actor="x")
    page = await (await client.get(f"/console/incidents/{incident.id}")).text()
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in page


async def test_buttons_follow_the_role_and_the_status(make_console) -> None:
    viewer = await make_console("viewer")
    page = await (await viewer.get("/console/incidents/1")).text()
    assert BUTTONS.findall(page) == []
    assert "may look but not act" in page
    responder = await make_console("responder")
    page = await (await responder.get("/console/incidents/1")).text()
    assert BUTTONS.findall(page) == ["ack", "escalate", "mitigate", "resolve", "cancel"]
    await responder.app[RUNTIME].engine.change_status(1, IncidentStatus.ACKNOWLEDGED, "x", "")
    page = await (await responder.get("/console/incidents/1")).text()
    assert BUTTONS.findall(page) == ["escalate", "mitigate", "resolve", "cancel"]


async def test_acknowledging_from_the_page_is_done_and_audited(make_console) -> None:
    client = await make_console("responder")
    page = await (await client.get("/console/incidents/1")).text()
    response = await client.post(
        "/console/incidents/1/ack",
        data={"csrf": csrf_of(page), "note": "on it 在处理"},
        allow_redirects=False,
    )
    assert (response.status, response.headers["Location"]) == (303, "/console/incidents/1?done=ack")
    runtime = client.app[RUNTIME]
    incident = await runtime.store.get_incident(1)
    assert incident is not None and incident.status is IncidentStatus.ACKNOWLEDGED
    page = await (await client.get(response.headers["Location"])).text()
    assert "Acknowledge: done." in page and "on it 在处理" in page
    [entry] = await runtime.audit.entries(AuditQuery(action="incident.ack"))
    assert (entry.actor, entry.target, entry.detail) == (
        NAMES["responder"],
        "incident:1",
        {"note": "on it 在处理"},
    )
    again = await client.post("/console/incidents/1/ack", data={"csrf": csrf_of(page)})
    assert again.status == 409 and "cannot be set to acknowledged" in await again.text()


async def test_escalate_wakes_the_wait_for_an_acknowledgement(make_console) -> None:
    client = await make_console("responder")
    page = await (await client.get("/console/incidents/1")).text()
    response = await client.post("/console/incidents/1/escalate", data={"csrf": csrf_of(page)})
    assert response.status == 200
    timeline = await client.app[RUNTIME].store.timeline(1)
    assert any(entry.kind == "escalated" for entry in timeline)


async def test_a_viewer_posting_the_form_anyway_is_refused_and_audited(make_console) -> None:
    client = await make_console("viewer")
    page = await (await client.get("/console/incidents/1")).text()
    response = await client.post("/console/incidents/1/resolve", data={"csrf": csrf_of(page)})
    assert response.status == 403 and "Your role may not do this" in await response.text()
    runtime = client.app[RUNTIME]
    incident = await runtime.store.get_incident(1)
    assert incident is not None and incident.status is IncidentStatus.TRIGGERED
    [entry] = await runtime.audit.entries(AuditQuery(outcome=AuditOutcome.DENIED))
    assert (entry.actor, entry.target) == (NAMES["viewer"], "/console/incidents/1/resolve")


@pytest.mark.parametrize(
    "case", ["no token", "another session's token", "another site", "cross-site fetch"]
)
async def test_a_form_without_this_sessions_csrf_token_changes_nothing(make_console, case) -> None:
    client = await make_console("responder")
    other = await make_console("responder")
    page = await (await client.get("/console/incidents/1")).text()
    data = {"csrf": csrf_of(page)}
    headers = {}
    if case == "no token":
        data = {}
    elif case == "another session's token":
        data = {"csrf": csrf_of(await (await other.get("/console/incidents/1")).text())}
    elif case == "another site":
        headers = {"Origin": "https://evil.example"}
    else:
        headers = {"Sec-Fetch-Site": "cross-site"}
    response = await client.post("/console/incidents/1/ack", data=data, headers=headers)
    assert response.status == 403
    text = await response.text()
    assert "not sent from this console" in text
    incident = await client.app[RUNTIME].store.get_incident(1)
    assert incident is not None and incident.status is IncidentStatus.TRIGGERED


async def test_the_sign_in_form_needs_its_pre_session_token(make_console) -> None:
    client = await make_console()
    response = await client.post("/console/login", data={"token": "t", "csrf": "forged"})
    assert response.status == 403


async def test_the_trigger_form_asks_for_each_param_by_its_type(make_console) -> None:
    client = await make_console("responder")
    page = await (await client.get("/console/trigger")).text()
    assert 'id="choose-example"' in page and "channel-down" not in page  # alert-only
    page = await (await client.get("/console/trigger/example")).text()
    assert re.search(
        r'<input type="text" name="reason" id="param-reason" value="" placeholder="" required>',
        page,
    )
    assert 'name="ack_timeout"' in page and "default: 15m" in page
    assert (await client.get("/console/trigger/channel-down")).status == 404
    assert (await client.get("/console/trigger/nothing")).status == 404


async def test_the_trigger_form_is_checked_as_the_cli_checks_params(make_console) -> None:
    client = await make_console("responder")
    runtime = client.app[RUNTIME]
    page = await (await client.get("/console/trigger/example")).text()
    typed = {"reason": "checkout <b>errors</b>", "ack_timeout": "soon"}
    response = await client.post("/console/trigger/example", data={"csrf": csrf_of(page), **typed})
    assert response.status == 400
    text = await response.text()
    with pytest.raises(ParamError) as cli:
        coerce_params(runtime.playbooks.get("example"), typed)
    for problem in cli.value.problems:
        assert problem.replace("'", "&#39;") in text
    assert 'value="checkout &lt;b&gt;errors&lt;/b&gt;"' in text  # kept, escaped
    response = await client.post(
        "/console/trigger/example",
        data={"csrf": csrf_of(text), "reason": "checkout errors", "ack_timeout": ""},
        allow_redirects=False,
    )
    assert response.status == 303
    incident_id = int(response.headers["Location"].rsplit("/", 1)[1])
    incident = await runtime.store.get_incident(incident_id)
    assert incident is not None
    assert incident.params == {"reason": "checkout errors", "ack_timeout": "15m"}
    assert (incident.trigger, incident.triggered_by) == ("console", NAMES["responder"])
    [entry] = await runtime.audit.entries(AuditQuery(action="incident.trigger"))
    assert entry.target == f"incident:{incident_id}"


async def test_a_viewer_may_not_trigger_a_playbook_whose_trigger_names_responders(
    make_console,
) -> None:
    client = await make_console("viewer")
    page = await (await client.get("/console/trigger")).text()
    assert "No playbook may be triggered by your role" in page
    response = await client.post("/console/trigger/example", data={"csrf": csrf_of(page)})
    assert response.status == 404


async def test_the_language_follows_the_browser_then_the_switch(make_console) -> None:
    client = await make_console("viewer")
    page = await (
        await client.get("/console/", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    ).text()
    assert '<html lang="zh-TW">' in page and "事件" in page and "登出" in page
    page = await (await client.get("/console/", headers={"Accept-Language": "zh-CN"})).text()
    assert "退出登录" in page
    response = await client.post(
        "/console/language",
        data={"csrf": csrf_of(page), "lang": "zh-CN", "next": "https://evil.example/"},
        allow_redirects=False,
    )
    assert (response.status, response.headers["Location"]) == (303, "/console/")
    page = await (await client.get("/console/", headers={"Accept-Language": "en"})).text()
    assert '<html lang="zh-CN">' in page


async def test_the_console_answers_not_found_and_bad_ids_with_pages(make_console) -> None:
    client = await make_console("viewer")
    for path in ("/console/incidents/999", "/console/incidents/abc", "/console/static/x.js"):
        response = await client.get(path)
        assert response.status == 404 and response.content_type == "text/html", path
    script = await client.get("/console/static/console.js")
    assert script.status == 200 and "EventSource" in await script.text()


async def test_no_page_loads_anything_from_another_origin(make_console) -> None:
    client = await make_console("admin")
    outside = re.compile(r'(?:src|href|action)="(?:[a-z]+:)?//', re.I)
    paths = ["/console/", "/console/incidents/1", "/console/trigger/example", "/console/overview",
             "/console/audit", "/console/notices", "/console/notices/new?script=outage-initial",
             "/console/notices/1"]  # fmt: skip
    for path in paths:
        response = await client.get(path)
        page = await response.text()
        assert response.status == 200, path
        assert not outside.findall(page), (path, outside.findall(page))
        assert "<script>" not in page and " style=" not in page, path  # the policy forbids them
