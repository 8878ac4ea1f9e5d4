"""The browser fixture itself: Debian's Chromium loads a loopback page, sends the
language asked for, shows Chinese text and saves screenshots where it says."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PAGE = "<!doctype html><meta charset=utf-8><title>probe</title><h1 id=greeting>{}</h1>"


@pytest.fixture
def page_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server whose page shows the Accept-Language it was sent."""
    languages: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            language = self.headers.get("Accept-Language", "")
            languages.append(language)
            body = PAGE.format(f"{language} 值班 值班中").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", languages
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_browser_loads_a_page_and_keeps_a_screenshot(
    browser, page_server, tmp_path: Path, request: pytest.FixtureRequest
):
    url, languages = page_server
    browser.open(url)
    assert browser.wait_for("#greeting").text.startswith("en")
    assert languages[0].startswith("en")
    path = browser.shot("browser-probe")
    chosen = request.config.getoption("--screenshots")
    assert path == (Path(chosen) if chosen else tmp_path / "screenshots") / "browser-probe.png"
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_make_browser_asks_for_the_language(make_browser, page_server):
    url, languages = page_server
    browser = make_browser(lang="zh-TW")
    browser.open(url)
    assert browser.wait_text("#greeting", "值班中").text.startswith("zh-TW")
    assert languages[-1].startswith("zh-TW")


def test_screenshot_names_are_checked(browser):
    with pytest.raises(ValueError, match="screenshot name"):
        browser.shot("../outside")


def test_a_full_page_screenshot_is_taller_than_the_window(browser, page_server):
    from support.browser import WINDOW

    url, _ = page_server
    browser.open(url)
    browser.script("document.body.style.height = '3000px'")
    window = browser.shot("browser-window").read_bytes()
    page = browser.shot("browser-page", full=True).read_bytes()

    def height(png: bytes) -> int:
        return int.from_bytes(png[20:24], "big")  # the IHDR chunk's height

    assert height(window) < WINDOW[1] < 3000 <= height(page)
    assert browser.driver.get_window_size()["height"] == WINDOW[1]  # put back
