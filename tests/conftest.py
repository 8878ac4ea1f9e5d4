"""Fixtures shared by every test: a config on a temporary store, runtimes, a probe."""

from __future__ import annotations

import asyncio
import os
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.probe import Probe

from surge.config import Config, EngineSettings
from surge.runtime import Runtime, build_runtime
from surge.store.records import RunStatus

RuntimeFactory = Callable[..., Awaitable[Runtime]]


@pytest.fixture
def playbook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    return folder


@pytest.fixture
def write_playbook(playbook_dir: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = playbook_dir / f"{name}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    """Where the test's surge keeps its store: a SQLite file in ``tmp_path``, or with
    ``SURGE_TEST_STORE=postgresql`` a fresh PostgreSQL database of its own, so that the
    feature tests built on the ``config`` fixture can run on either backend
    (tests/store runs on both anyway). Tests that open the SQLite file themselves need
    the default."""
    backend = os.environ.get("SURGE_TEST_STORE", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'surge.db'}"
        return
    if backend != "postgresql":
        pytest.fail(f"SURGE_TEST_STORE={backend}: use sqlite or postgresql", pytrace=False)
    from support.postgres import temporary_database

    with temporary_database() as url:
        yield url


@pytest.fixture
def config(store_url: str, playbook_dir: Path) -> Config:
    return Config(
        store=store_url,
        playbooks=playbook_dir,
        engine=EngineSettings(lease=1.0, poll_interval=0.02, max_concurrency=200),
    )


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
async def make_runtime(config: Config, probe: Probe) -> AsyncIterator[RuntimeFactory]:
    """``await make_runtime(start=True, plugins=[...], config=...)``: opened, closed at teardown."""
    opened: list[Runtime] = []

    async def make(
        *, start: bool = True, plugins: list[object] | None = None, config: Config = config
    ) -> Runtime:
        runtime = build_runtime(
            config, extra_plugins=[probe, *(plugins or [])], load_entry_points=False
        )
        assert not runtime.problems, runtime.problems
        await runtime.open()
        if start:
            await runtime.engine.start()
        opened.append(runtime)
        return runtime

    yield make
    for runtime in reversed(opened):
        await runtime.close()


async def settle(runtime: Runtime, incident_id: int, timeout: float = 10.0) -> list[Any]:  # noqa: ASYNC109
    """Wait until the incident has no pending, running or waiting step; return its runs."""
    open_states = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        runs = await runtime.store.runs(incident_id)
        if runs and not any(run.status in open_states for run in runs):
            return runs
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"incident {incident_id} still busy: {[(r.step_id, r.status.value) for r in runs]}"
            )
        await asyncio.sleep(0.02)


@pytest.fixture
def wait_settled() -> Callable[..., Awaitable[list[Any]]]:
    return settle


@pytest.fixture
def smtp_server(tmp_path: Path):
    """A real SMTP server (aiosmtpd) on loopback, plain; see ``support.smtp``."""
    from support.smtp import SmtpServer

    server = SmtpServer.start(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def smtp_tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server that requires STARTTLS and a login; its password is exported."""
    from support.smtp import PASSWORD, PASSWORD_ENV, SmtpServer

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    server = SmtpServer.start(tmp_path, tls=True)
    yield server
    server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own (see ``support.postgres``)."""
    from support.postgres import temporary_database

    with temporary_database() as url:
        yield url


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="keep the browser tests' screenshots in DIR (default: each test's tmp_path)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":  # the browser fixture looks at this when the test ends
        item.stash[_CALL_REPORT] = report
    return report


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.fixture
def make_browser(request: pytest.FixtureRequest, tmp_path: Path):
    """``make_browser(lang="zh-CN")``: a fresh headless Chromium (see ``support.browser``),
    quit at teardown; a failed test leaves ``failed.png`` with its screenshots."""
    from support.browser import start

    chosen = request.config.getoption("--screenshots")
    screenshots = Path(chosen) if chosen else tmp_path / "screenshots"
    opened = []

    def make(*, lang: str = "en"):
        browser = start(tmp_path, screenshots, lang=lang)
        opened.append(browser)
        return browser

    yield make
    report = request.node.stash.get(_CALL_REPORT, None)
    for browser in opened:
        if report is not None and report.failed:
            try:
                browser.screenshots = tmp_path / "screenshots"
                browser.shot(f"failed-{opened.index(browser)}")
            except Exception as error:  # the browser may be what failed
                print(f"no screenshot of the failure: {error}")
        browser.close()


@pytest.fixture
def browser(make_browser):
    """A fresh headless Chromium asking for English pages (see ``support.browser``)."""
    return make_browser()
