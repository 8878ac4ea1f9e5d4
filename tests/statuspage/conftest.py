"""A surge app with the shipped scripts (approved) and components, answering the public
pages; ``publish`` puts a bad day into its store through the notices themselves."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from support.waiting import eventually

from surge.config import Config, ScriptSettings, parse_config
from surge.notices.model import ComponentStatus, NoticeKind, NoticeState, Severity
from surge.notices.service import Draft, Notices
from surge.runtime import Runtime
from surge.scripts.approval import approve
from surge.statuspage.settings import StatusPageSettings
from surge.web.app import create_app
from surge.web.keys import RUNTIME
from surge.web.public import PUBLIC_PAGES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = parse_config((ROOT / "config" / "surge.yaml").read_bytes(), "config/surge.yaml")
OUTAGE = {"service": "在线客服", "impact": "无法发起会话", "eta": "15:30", "workaround": "拨打热线"}
RESOLVED = {"service": "在线客服", "resolved_at": "15:20", "contact": "热线400-820-8820"}
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def public_config(config: Config, tmp_path: Path) -> Config:
    return dataclasses.replace(
        config,
        public_url="https://status.example.com",
        scripts=ScriptSettings(ROOT / "config" / "scripts"),
        components=SHIPPED.components,
        replicas=dataclasses.replace(config.replicas, change_poll=0.05),
        status_page=StatusPageSettings(time_zone="Asia/Shanghai", export=tmp_path / "export"),
    )


@pytest.fixture
def make_public(public_config: Config, aiohttp_client: Any) -> Callable[..., Awaitable[Client]]:
    async def make(*, config: Config = public_config, run_engine: bool = True) -> Client:
        app = create_app(config, load_entry_points=False, run_engine=run_engine)
        assert not app[RUNTIME].problems, app[RUNTIME].problems
        client: Client = await aiohttp_client(app)
        await approve_all(client.app[RUNTIME])
        return client

    return make


@pytest.fixture
async def public(make_public: Callable[..., Awaitable[Client]]) -> Client:
    return await make_public()


async def approve_all(runtime: Runtime) -> None:
    now = runtime.engine.clock()
    for script in runtime.scripts.all():
        await approve(runtime.store, script, "comms-lead", now, "agreed")


def notices_of(client: Client) -> Notices:
    notices = client.app[RUNTIME].engine.services.notices
    assert notices is not None
    return notices


async def rebuilt(client: Client) -> None:
    """Wait until the app's public pages (and their export, if any) show the store's
    latest revision."""
    pages = client.app[PUBLIC_PAGES]
    revision = await pages.notices.revision()
    pages.changed()

    def caught_up() -> bool:
        exported = pages.export_to is None or (
            pages.last_export is not None and pages.last_export.revision >= revision
        )
        return pages.snapshot is not None and pages.snapshot.revision >= revision and exported

    await eventually(caught_up, what=f"a rebuild at status revision {revision}")


async def publish_bad_day(notices: Notices, *, workaround: str = "拨打热线") -> dict[str, int]:
    """A resolved outage, an open one with two versions, planned maintenance, a banner."""
    now = notices.engine.clock()
    down = {"web-chat": ComponentStatus.MAJOR_OUTAGE}
    old = await notices.publish_new(Draft("outage-initial", OUTAGE, components=down), author="a")
    await notices.resolve(old.notice.id, Draft("outage-resolved", RESOLVED), author="a")
    values = {**OUTAGE, "workaround": workaround}
    current = await notices.publish_new(
        Draft("outage-initial", values, components=down), author="a"
    )
    await notices.publish_new(
        Draft("outage-initial", values, state=NoticeState.IDENTIFIED, components=down),
        author="b",
        notice_id=current.notice.id,
    )
    planned = await notices.publish_new(
        Draft(
            "maintenance-planned",
            {"service": "手机应用", "window": "02:00–04:00", "alternative": "使用网页版"},
            kind=NoticeKind.MAINTENANCE,
            window_start=now + timedelta(days=2),
            window_end=now + timedelta(days=2, hours=2),
            components={"app": ComponentStatus.UNDER_MAINTENANCE},
        ),
        author="ops",
    )
    banner, _ = await notices.show_banner(
        "traffic-banner",
        {"self_service": workaround},
        severity=Severity.WARNING,
        by="a",
        link="https://help.example.com/",
    )
    return {
        "resolved": old.notice.id,
        "open": current.notice.id,
        "maintenance": planned.notice.id,
        "banner": banner.id,
    }
