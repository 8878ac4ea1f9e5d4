"""A runtime with the shipped response scripts (approved) and the shipped components."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from surge.config import Config, ScriptSettings, parse_config
from surge.notices.service import Notices
from surge.runtime import Runtime
from surge.scripts.approval import approve

ROOT = Path(__file__).parents[2]
SCRIPTS = ROOT / "config" / "scripts"
SHIPPED = parse_config((ROOT / "config" / "surge.yaml").read_bytes(), "config/surge.yaml")
COMPONENTS = SHIPPED.components
OUTAGE = {
    "service": "在线客服",
    "impact": "无法发起会话",
    "eta": "15:30",
    "workaround": "拨打热线400-820-8820",
}
RESOLVED = {"service": "在线客服", "resolved_at": "15:20", "contact": "热线400-820-8820"}


@pytest.fixture
def notices_config(config: Config) -> Config:
    return dataclasses.replace(config, scripts=ScriptSettings(SCRIPTS), components=COMPONENTS)


async def approve_all(runtime: Runtime, *, but: tuple[str, ...] = ()) -> None:
    now = runtime.engine.clock()
    for script in runtime.scripts.all():
        if script.id not in but:
            await approve(runtime.store, script, "comms-lead", now, "agreed")


@pytest.fixture
async def runtime(make_runtime: Any, notices_config: Config) -> Runtime:
    """Opened, not started (no engine running); every shipped script approved."""
    opened: Runtime = await make_runtime(start=False, config=notices_config)
    await approve_all(opened)
    return opened


@pytest.fixture
def notices(runtime: Runtime) -> Notices:
    assert runtime.engine.services.notices is not None
    return runtime.engine.services.notices
