"""The console in Debian's headless Chromium against a real ``surge serve``: sign in,
trigger the example playbook from its form, watch the timeline and the list update
without a reload, acknowledge; compose a notice, see the preview mark a broken rule,
publish it and find it on /status; a viewer sees no buttons and the API refuses it; a form
from another origin and an expired session are refused. Each page is kept as a
screenshot (``--screenshots docs/console`` makes the ones docs/console.md shows)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from support.browser import Browser
from support.serve import Server, free_port, serve
from web.world import NAMES, TOKENS, write_world


def start_world(folder: Path, console: str = "") -> Any:
    port = free_port()
    config = write_world(folder, listen=f"127.0.0.1:{port}")
    if console:
        config.write_text(config.read_text("utf-8") + console, "utf-8")
    return serve(config, f"http://127.0.0.1:{port}", folder)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_world(tmp_path_factory.mktemp("console")) as running:
        # the lead approved the outage script (on the store, as `surge scripts` does)
        approve = [sys.executable, "-m", "surge", "scripts", "approve", "outage-initial"]
        subprocess.run([*approve, "--by", "lead", "--config", str(running.config)], check=True,
                       capture_output=True)  # fmt: skip
        yield running


def api(server: Server, method: str, path: str, role: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TOKENS[role]}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def sign_in(browser: Browser, server: Server, role: str, page: str = "/console/") -> None:
    browser.open(server.url + page)
    browser.wait_for("#token").send_keys(TOKENS[role])
    browser.find("#login button[type=submit]").click()
    browser.wait_text("#who", NAMES[role])


def mark(browser: Browser) -> None:
    """Leave a value in the page's window: it is gone if the page reloads."""
    browser.script("window.surgeMarker = 'still this page'")


def not_reloaded(browser: Browser) -> bool:
    return bool(browser.script("return window.surgeMarker") == "still this page")


def test_sign_in_trigger_watch_live_and_acknowledge(make_browser, server: Server) -> None:
    lead = make_browser()
    lead.open(server.url + "/console/")
    lead.wait_for("#token")
    assert "/console/login" in lead.driver.current_url
    lead.shot("console-sign-in")
    sign_in(lead, server, "responder")
    watcher = make_browser()  # a viewer keeps the list open meanwhile
    sign_in(watcher, server, "viewer")
    watcher.wait_for("#live.on")
    mark(watcher)

    lead.find("nav a[href='/console/trigger']").click()
    lead.wait_for("#choose-example").click()
    lead.wait_for("#param-reason").send_keys("checkout errors at 5%")
    lead.find("#param-ack_timeout").send_keys("soon")
    lead.shot("console-trigger-form")
    lead.find("#trigger-submit").click()
    problems = lead.wait_for("#problems")
    assert "param 'ack_timeout'" in problems.text
    assert lead.find("#param-reason").get_attribute("value") == "checkout errors at 5%"
    lead.shot("console-trigger-problems", full=True)
    lead.find("#param-ack_timeout").clear()
    lead.find("#param-ack_timeout").send_keys("10m")
    lead.find("#trigger-submit").click()

    lead.wait_for("#live.on")
    incident_id = int(lead.driver.current_url.rsplit("/", 1)[1])
    mark(lead)
    lead.wait_text("#timeline-rows", "Triggered because: checkout errors at 5%")
    # the playbook pauses 3 s, then "pages": the row arrives without a reload
    lead.wait_text("#timeline-rows", "Paging the standby shift", within=20)
    lead.wait_text("#steps tr[data-step='wait-ack']", "waiting", within=10)
    assert not_reloaded(lead)
    lead.shot("console-incident-live", full=True)
    watcher.wait_for(f"#incident-rows tr[data-id='{incident_id}']")
    assert not_reloaded(watcher)
    watcher.shot("console-incidents")

    lead.find("#act input[name=note]").send_keys("on it")
    lead.find("#do-ack").click()
    lead.wait_text("#notice", "Acknowledge: done.")
    lead.wait_text("#timeline-rows", "Acknowledged after", within=15)
    assert lead.find("#status").text == "acknowledged"
    assert not lead.find_all("#do-ack") and lead.find_all("#do-resolve")
    lead.shot("console-incident-acknowledged", full=True)
    status, body = api(server, "GET", f"/api/v1/incidents/{incident_id}", "viewer")
    assert status == 200 and body["status"] == "acknowledged"
    assert body["triggered_by"] == NAMES["responder"] and body["trigger"] == "console"
    watcher.wait_text(f"#incident-rows tr[data-id='{incident_id}']", "acknowledged")


def test_a_viewer_sees_no_buttons_and_is_refused_everywhere(make_browser, server: Server) -> None:
    status, opened = api(
        server,
        "POST",
        "/api/v1/playbooks/example/trigger",
        "responder",
        {"params": {"reason": "viewer test"}},
    )
    assert status == 201
    viewer = make_browser()
    sign_in(viewer, server, "viewer", page=f"/console/incidents/{opened['id']}")
    viewer.wait_for("#view-only")
    assert not viewer.find_all("#act") and not viewer.find_all("button.do")
    assert not viewer.find_all("nav a[href='/console/audit']")
    viewer.shot("console-viewer-incident")
    status, body = api(server, "POST", f"/api/v1/incidents/{opened['id']}/ack", "viewer")
    assert status == 403 and "may not" in body["error"]
    # the form the viewer was not shown, posted anyway with the page's own CSRF token
    viewer.script(
        textwrap.dedent(
            """
            const form = document.createElement("form");
            form.method = "post";
            form.action = arguments[0];
            const csrf = document.querySelector("input[name=csrf]").cloneNode();
            form.appendChild(csrf);
            document.body.appendChild(form);
            form.submit();
            """
        ),
        f"/console/incidents/{opened['id']}/ack",
    )
    viewer.wait_text("#problem", "Your role may not do this.")
    viewer.shot("console-viewer-refused")
    _, body = api(server, "GET", f"/api/v1/incidents/{opened['id']}", "viewer")
    assert body["status"] == "triggered"


@pytest.fixture
def other_site() -> Iterator[dict[str, Any]]:
    """Another origin (another port) whose page posts a form to the console."""
    site: dict[str, Any] = {"target": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                "<!doctype html><meta charset=utf-8><body onload='document.forms[0].submit()'>"
                f"<form method=post action='{site['target']}'>"
                "<input name=note value='forged'></form>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    site["url"] = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_form_from_another_origin_is_refused(make_browser, server: Server, other_site) -> None:
    status, opened = api(
        server,
        "POST",
        "/api/v1/playbooks/example/trigger",
        "responder",
        {"params": {"reason": "csrf test"}},
    )
    assert status == 201
    browser = make_browser()
    sign_in(browser, server, "responder")
    other_site["target"] = f"{server.url}/console/incidents/{opened['id']}/resolve"
    browser.open(other_site["url"])  # signed in, the lead opens a page of another site
    browser.wait_text("#problem", "not sent from this console")
    browser.shot("console-csrf-refused")
    _, body = api(server, "GET", f"/api/v1/incidents/{opened['id']}", "viewer")
    assert body["status"] == "triggered"


def test_overview_audit_log_and_languages(make_browser, server: Server) -> None:
    admin = make_browser(lang="zh-CN")
    sign_in(admin, server, "admin")
    assert admin.find("html").get_attribute("lang") == "zh-CN"
    assert "退出登录" in admin.find("#sign-out").text
    admin.wait_for("#incident-rows")
    admin.shot("console-incidents-zh-CN")
    Select(admin.find("#lang")).select_by_value("zh-TW")  # the switch submits when changed
    admin.wait(
        lambda driver: driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-TW"
    )
    assert "登出" in admin.find("#sign-out").text
    admin.find("#incident-rows a").click()
    admin.wait_for("#summary")
    admin.shot("console-incident-zh-TW")
    Select(admin.find("#lang")).select_by_value("en")
    admin.wait(
        lambda driver: driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    )
    admin.find("nav a[href='/console/overview']").click()
    admin.wait_for("#oncall")
    assert admin.find_all("#triggers tr[data-playbook='channel-down']")
    admin.shot("console-overview", full=True)
    admin.find("nav a[href='/console/audit']").click()
    admin.wait_text("#audit", "console.sign_in")
    admin.shot("console-audit", full=True)


def test_an_expired_session_goes_back_to_the_sign_in(make_browser, tmp_path: Path) -> None:
    (tmp_path / "short").mkdir()
    with start_world(tmp_path / "short", "console: {session_ttl: 2s}\n") as short:
        browser = make_browser()
        sign_in(browser, short, "viewer")
        time.sleep(2.2)
        browser.find("nav a[href='/console/overview']").click()
        browser.wait_text("#notice", "Your session has expired")
        assert "/console/login" in browser.driver.current_url
        browser.shot("console-session-expired")


def test_compose_preview_with_marks_and_publish_a_notice(make_browser, server: Server) -> None:
    comms = make_browser()
    sign_in(comms, server, "comms")
    comms.find("nav a[href='/console/notices']").click()
    comms.wait_for("#new-notice").click()
    comms.wait_for("#script-outage-initial").click()
    comms.wait_for("#param-var\\.service")
    mark(comms)
    for name, value in (
        ("service", "在线客服"),
        ("impact", "无法发起会话"),
        ("eta", "15:30"),
        ("workaround", "我们保证今晚全部恢复"),
    ):
        comms.find(f"#param-var\\.{name}").send_keys(value)
    # the preview follows what is typed: the promise is marked in the locales it breaks
    comms.wait_for("#preview article.broken mark.violation")
    assert len(comms.find_all("#preview article.preview")) == 3
    assert not_reloaded(comms)
    comms.shot("console-composer-violation", full=True)
    comms.find("#param-var\\.workaround").clear()
    comms.find("#param-var\\.workaround").send_keys("拨打热线400-820-8820")
    comms.wait(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "#preview mark"))
    Select(comms.find("#component-web-chat")).select_by_value("major_outage")
    comms.shot("console-composer", full=True)
    comms.find("#publish").click()
    comms.wait_text("#notice", "Published.")
    version = comms.find("section.version[data-version='1']")
    assert version.get_attribute("data-status") == "published"
    assert "在线客服" in version.text and "comms-token" in version.text
    comms.shot("console-notice-published", full=True)
    notice_id = comms.driver.current_url.split("/")[-1].split("?")[0]
    # customers see it on the status page (which rebuilds within a second of a change)
    comms.open(server.url + "/status")

    def shown(driver: Any) -> bool:
        found = driver.find_elements(By.CSS_SELECTOR, f"#notice-{notice_id}")
        if not found:
            driver.refresh()
        return bool(found) and "400-820-8820" in found[0].text

    comms.wait(shown, within=15)
    outage = comms.find("#component-web-chat").get_attribute("data-status")
    assert outage == "major_outage"
    comms.shot("console-status-page", full=True)
    # a viewer has no composer
    viewer = make_browser()
    sign_in(viewer, server, "viewer", page="/console/notices/new")
    viewer.wait_text("#problem", "Your role may not do this.")
