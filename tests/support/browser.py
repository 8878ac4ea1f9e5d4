"""Debian's Chromium, headless, driven by Selenium: the browser of the browser tests.

The ``browser`` fixture (tests/conftest.py) gives a ``Browser``: a fresh Chromium with
a profile of its own in the test's ``tmp_path`` (so no cookie or cache leaks between
tests), an English ``Accept-Language`` unless the test asks ``make_browser(lang=...)``
for another, and ``shot(name)`` to keep a screenshot of the page.

Screenshots go to ``<tmp_path>/screenshots/NAME.png`` (pytest keeps the last three runs'
``tmp_path`` folders under ``/tmp/pytest-of-$USER/``), or with ``pytest --screenshots
DIR`` to ``DIR/NAME.png``, which is how docs/console/ is made. A test that fails leaves
``failed-N.png`` (one per browser it opened) in ``<tmp_path>/screenshots``. Names are
per suite, so prefix them with the page's area (``console-incidents``, ``status-page``).

Only the system's binaries are used (``/usr/bin/chromium``, ``/usr/bin/chromedriver``
from the Debian packages ``chromium`` and ``chromium-driver``; ``fonts-noto-cjk`` draws
the Chinese pages): nothing is downloaded, Selenium Manager is never asked.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = Path(os.environ.get("SURGE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("SURGE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
WINDOW = (1280, 900)
T = TypeVar("T")


def _options(profile: Path, lang: str) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",  # no update, safe-browsing or metrics traffic
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
        f"--lang={lang}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    return options


def _missing() -> str | None:
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(binary, os.X_OK):
            return f"{binary} is missing: install the Debian package {package} (scripts/test does)"
    return None


@dataclass
class Browser:
    driver: webdriver.Chrome
    screenshots: Path
    taken: list[Path] = field(default_factory=list)

    def open(self, url: str) -> None:
        self.driver.get(url)

    def shot(self, name: str, *, full: bool = False) -> Path:
        """Save the page as ``NAME.png`` in the screenshot folder; returns its path.
        ``full``: the whole page, not only the window's height of it."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise ValueError(f"screenshot name {name!r}: letters, digits, '.', '_', '-'")
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        size = self.driver.get_window_size()
        if full:
            height = self.script("return document.documentElement.scrollHeight")
            chrome = size["height"] - self.script("return window.innerHeight")
            self.driver.set_window_size(size["width"], max(size["height"], height + chrome))
        try:
            if not self.driver.save_screenshot(str(path)):
                raise AssertionError(f"Chromium did not save the screenshot {path}")
        finally:
            if full:
                self.driver.set_window_size(size["width"], size["height"])
        self.taken.append(path)
        return path

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait(self, check: Callable[[webdriver.Chrome], T], within: float = 10.0) -> T:
        """Poll ``check(driver)`` until it returns something truthy (Selenium's wait)."""
        return WebDriverWait(self.driver, within, poll_frequency=0.05).until(check)

    def wait_for(self, css: str, within: float = 10.0) -> WebElement:
        """The first element matching ``css`` once it is on the page and shown."""
        return self._first(css, WebElement.is_displayed, within)

    def wait_text(self, css: str, text: str, within: float = 10.0) -> WebElement:
        """The first element matching ``css`` whose text contains ``text``."""
        return self._first(css, lambda element: text in element.text, within)

    def _first(self, css: str, test: Callable[[WebElement], bool], within: float) -> WebElement:
        def check(driver: webdriver.Chrome) -> WebElement | None:
            found = (item for item in driver.find_elements(By.CSS_SELECTOR, css) if test(item))
            return next(found, None)

        element = self.wait(check, within)
        assert element is not None
        return element

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def close(self) -> None:
        self.driver.quit()


def start(folder: Path, screenshots: Path, *, lang: str = "en") -> Browser:
    """A fresh headless Chromium with its profile under ``folder``."""
    problem = _missing()
    if problem:
        raise AssertionError(problem)  # a missing browser fails the test, never skips it
    folder.mkdir(parents=True, exist_ok=True)
    # a profile of its own: two browsers of one test (two people) must not share one
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=folder))
    log = str(profile / "chromedriver.log")
    service = Service(executable_path=str(CHROMEDRIVER), log_output=log)
    driver = webdriver.Chrome(service=service, options=_options(profile, lang))
    driver.set_page_load_timeout(30)
    return Browser(driver, screenshots)
