"""Fixtures for the plugin tests: a real HTTP receiver, fake distributions, polling helpers."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.receiver import Receiver
from support.waiting import eventually as _eventually

from surge.runtime import Runtime
from surge.store.records import Incident, IncidentStatus

SIGNATURE_WINDOW = 300  # seconds a receiver accepts between X-Surge-Timestamp and now


@pytest.fixture
async def receiver(aiohttp_server: Any) -> Receiver:
    return await Receiver.serve(aiohttp_server)


def _verify_signature(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the HMAC over TIMESTAMP.BODY, compare in constant time."""
    timestamp = headers.get("X-Surge-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(
        "sha256=" + expected.hexdigest(), headers.get("X-Surge-Signature", "")
    )


def _metric(runtime: Runtime, name: str, **labels: str) -> float:
    value = runtime.engine.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def _everything_stored(runtime: Runtime, incident_id: int) -> str:
    """Every timeline entry and every run of the incident, as one text to search."""
    parts = []
    for entry in await runtime.store.timeline(incident_id):
        parts.append(f"{entry.actor} {entry.kind} {entry.message} {json.dumps(entry.data)}")
    for run in await runtime.store.runs(incident_id):
        parts.append(json.dumps([run.args, run.result, run.error, run.resume], default=str))
    return "\n".join(parts)


def _an_incident(incident_id: int = 7) -> Incident:
    now = datetime.now(UTC)
    return Incident(
        id=incident_id,
        playbook_id="pb",
        title="A playbook",
        severity="minor",
        status=IncidentStatus.TRIGGERED,
        trigger="manual",
        triggered_by="test",
        params={},
        created_at=now,
        updated_at=now,
    )


_names = itertools.count()


@dataclass
class Distribution:
    module: str  # the plugin module's import name
    point: str  # the entry point's name, which is the plugin's name
    name: str  # the distribution's name
    version: str


@pytest.fixture
def make_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Distribution]]:
    """Write an installed distribution (``*.dist-info`` + module) onto sys.path.

    ``make_distribution(source, entry="{module}")`` writes the module's source and an
    entry point ``NAME = ENTRY`` in the ``surge`` group; ``{module}`` is replaced by the
    module's (unique) name, so tests never see each other's modules.
    """
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    modules: list[str] = []

    def make(
        source: str, *, entry: str = "{module}", point: str = "", version: str = "0.1"
    ) -> Distribution:
        number = next(_names)
        module = f"surge_test_plugin_{number}"
        name = f"surge-test-plugin-{number}"
        (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = folder / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
        point = point or f"demo{number}"
        (info / "entry_points.txt").write_text(
            f"[surge]\n{point} = {entry.format(module=module)}\n", encoding="utf-8"
        )
        modules.append(module)
        return Distribution(module, point, name, version)

    yield make
    for module in modules:
        sys.modules.pop(module, None)


# the helpers, as fixtures: test modules cannot import a conftest


@pytest.fixture
def verify_signature() -> Callable[[str, Mapping[str, str], bytes], bool]:
    return _verify_signature


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    return _eventually


@pytest.fixture
def metric() -> Callable[..., float]:
    return _metric


@pytest.fixture
def everything_stored() -> Callable[[Runtime, int], Awaitable[str]]:
    return _everything_stored


@pytest.fixture
def an_incident() -> Callable[..., Incident]:
    return _an_incident
