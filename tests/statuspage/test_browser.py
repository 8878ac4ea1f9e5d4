"""Debian's headless Chromium against a real ``surge serve``: the status page in zh-CN and
en, and a shop's page on another origin that embeds banner.js as docs/notices.md says,
which shows the banner and takes it away once ``banner.clear`` ran (here: by another
process on the same store, as a replica or the CLI would)."""

from __future__ import annotations

import asyncio
import re
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from statuspage.conftest import ROOT, approve_all, publish_bad_day
from support.serve import Server, free_port, serve

from surge.config import load_config
from surge.runtime import Runtime, build_runtime

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"
SNIPPET = re.search(
    r"```html\n(<script src=\"https://status.example.com/banner.js\".*?)\n```",
    (ROOT / "docs" / "notices.md").read_text(encoding="utf-8"),
    re.S,
)


def write_config(folder: Path, port: int) -> Path:
    (folder / "playbooks").mkdir()
    path = folder / "surge.yaml"
    path.write_text(
        textwrap.dedent(f"""\
            store: sqlite:///{folder / "surge.db"}
            listen: 127.0.0.1:{port}
            public_url: http://127.0.0.1:{port}
            playbooks: {folder / "playbooks"}
            scripts: {{folder: {ROOT / "config" / "scripts"}}}
            replicas: {{change_poll: 100ms}}
            status_page: {{time_zone: Asia/Shanghai, locale: en}}
            components:
              - {{id: web-chat, name: {{zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}},
                 group: {{zh-CN: 客服渠道, zh-TW: 客服管道, en: Service channels}}}}
              - {{id: hotline, name: {{zh-CN: 客服热线, zh-TW: 客服專線, en: Hotline}},
                 group: {{zh-CN: 客服渠道, zh-TW: 客服管道, en: Service channels}}}}
              - {{id: app, name: {{zh-CN: 手机应用, zh-TW: 手機應用程式, en: Mobile app}}}}
            """),
        encoding="utf-8",
    )
    return path


async def _with_runtime(config: Path, work) -> None:
    runtime: Runtime = build_runtime(load_config(str(config)), load_entry_points=False)
    await runtime.open()
    try:
        await work(runtime)
    finally:
        await runtime.close()


async def _seed(runtime: Runtime) -> None:
    await approve_all(runtime)
    notices = runtime.engine.services.notices
    assert notices is not None
    await publish_bad_day(notices, workaround=HOSTILE)


async def _clear(runtime: Runtime) -> None:
    notices = runtime.engine.services.notices
    assert notices is not None
    assert await notices.clear_banner(by="comms-lead")


@pytest.fixture
def surge_server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    config = write_config(tmp_path, port)
    asyncio.run(_with_runtime(config, _seed))
    with serve(config, f"http://127.0.0.1:{port}", tmp_path) as server:
        yield server


@pytest.fixture
def shop(surge_server: Server) -> Iterator[str]:
    """A page of a website on another origin, embedding banner.js as the docs say."""
    assert SNIPPET is not None, "docs/notices.md has no banner.js snippet"
    snippet = SNIPPET.group(1).replace("https://status.example.com", surge_server.url)
    snippet = snippet.replace(" async>", ' data-refresh="1" async>')
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>shop</title>'
        f"</head><body><h1 id=shop>网上商城</h1>{snippet}</body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def no_alert(browser) -> None:
    with pytest.raises(NoAlertPresentException):
        browser.driver.switch_to.alert.text  # noqa: B018


@pytest.mark.parametrize(
    ("lang", "overall", "chat", "heading"),
    [
        ("zh-CN", "服务严重中断", "在线客服", "当前事件"),
        ("en", "Major System Outage", "Web chat", "Current incidents"),
    ],
)
def test_the_status_page_renders_in_the_readers_language(
    make_browser, surge_server, lang, overall, chat, heading
):
    browser = make_browser(lang=lang)
    browser.open(surge_server.url + "/status")
    assert browser.wait_for("#overall").text == overall
    assert browser.script("return document.documentElement.lang") == lang
    assert browser.find("#now-heading").text == heading
    assert chat in browser.find("#component-web-chat").text
    assert browser.find("#component-web-chat").get_attribute("data-status") == "major_outage"
    updates = browser.find_all("#incidents .updates li")
    assert len(updates) == 2
    assert HOSTILE in browser.find("#incidents").text  # shown as text, not run
    assert browser.find_all("main img") == [] and browser.driver.title != "pwned"
    no_alert(browser)
    landmarks = browser.script(
        "return ['header','nav','main','footer'].map(t => document.querySelectorAll(t).length)"
    )
    assert landmarks == [1, 1, 1, 1]
    browser.shot(f"status-page-{lang}")
    browser.driver.set_window_size(390, 844)  # a phone: nothing wider than the screen
    width = browser.script("return document.documentElement.scrollWidth")
    assert width <= 390
    browser.shot(f"status-page-{lang}-phone")


def test_an_embedded_banner_shows_and_goes_away_after_banner_clear(
    make_browser, surge_server, shop
):
    browser = make_browser(lang="zh-CN")
    browser.open(shop)
    banner = browser.wait_for("#surge-banner")
    assert browser.find("#surge-banner .surge-banner-text").text.startswith("当前")
    assert HOSTILE in banner.text  # the banner's var, as text
    assert banner.get_attribute("role") == "status"
    assert banner.get_attribute("data-severity") == "warning"
    link = browser.find("#surge-banner a")
    assert link.get_attribute("href") == "https://help.example.com/" and link.text == "详情"
    assert browser.find_all("#surge-banner img") == [] and browser.driver.title == "shop"
    no_alert(browser)
    browser.shot("status-banner-shown")
    asyncio.run(_with_runtime(surge_server.config, _clear))
    browser.wait(lambda driver: not browser.find_all("#surge-banner"), within=15)
    assert browser.find("#shop").text == "网上商城"
    browser.shot("status-banner-cleared")
