"""Every example in docs/rota.md runs: the rota loads, `who` and `staffing` print what the
doc shows, the config's pagers configure, the playbook validates, the webhook body is real."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import surge_pagerduty
from support.receiver import Receiver

from surge.cli import main
from surge.config import parse_config
from surge.paging.setup import configure_pagers
from surge.paging.spec import Page
from surge.playbook.library import validate_path
from surge.plugin.builtin.pagers import _configure_webhook, _send_webhook
from surge.plugin.manager import PluginManager
from surge.rota.parse import load_rota
from surge.runtime import build_runtime
from surge.store.records import Incident, IncidentStatus
from surge.yamlcheck import Checker
from surge.yamlpos import load

DOC = Path(__file__).resolve().parents[2] / "docs" / "rota.md"


def example(name: str, language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\n```{language}\n(.*?)\n```", text, re.S)
    assert found, f"docs/rota.md has no {language} example {name!r}"
    return found.group(1) + "\n"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "rota.yaml").write_text(example("rota", "yaml"), encoding="utf-8")
    (tmp_path / "playbooks").mkdir()
    path = tmp_path / "surge.yaml"
    path.write_text(
        f"store: sqlite:///{tmp_path}/s.db\nplaybooks: {tmp_path}/playbooks\n"
        f"rota: {tmp_path}/rota.yaml\n",
        encoding="utf-8",
    )
    return path


def test_the_rota_example_loads_with_its_policies() -> None:
    rota, problems = load_rota(example("rota", "yaml"), "docs/rota.md")
    assert problems == [] and rota is not None
    assert list(rota.policies) == ["standby-shift", "leads"]
    assert rota.people["wen"].ids == {"slack": "U02ABCDEF", "wecom": "chenwen"}


@pytest.mark.parametrize("name", ["who", "who-dst", "staffing"])
def test_the_console_examples_print_what_the_doc_shows(name, config_file, capsys) -> None:
    command, *expected = example(name, "console").splitlines()
    args = command.removeprefix("$ surge ").split()
    if args[0] == "rota":
        args += ["--config", str(config_file)]
    assert main(args) == 0
    printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert printed == expected


def test_the_pagers_example_configures(monkeypatch) -> None:
    config = parse_config(example("pagers", "yaml"), "docs/rota.md")
    plugins = PluginManager(load_entry_points=False, extra=[surge_pagerduty])
    pagers, problems = configure_pagers(config, plugins.pager_types())
    assert problems == []
    assert {name: pager.spec.type for name, pager in pagers.items()} == {
        "email": "email",
        "sms": "webhook",
        "pagerduty": "pagerduty",
    }
    monkeypatch.setenv("SURGE_LINK_SECRET", "the-link-key")
    monkeypatch.setenv("SMS_GATEWAY_SECRET", "the-gateway-key")
    assert {"the-link-key", "the-gateway-key"} <= set(config.secrets())


def test_the_traffic_peak_playbook_validates(tmp_path, config) -> None:
    path = tmp_path / "traffic-peak.yaml"
    path.write_text(example("traffic-peak", "yaml"), encoding="utf-8")
    runtime = build_runtime(config, load_entry_points=False)
    assert validate_path(path, runtime.actions, runtime.templates) == []


async def test_the_webhook_body_is_what_the_pager_sends(aiohttp_server) -> None:
    receiver = await Receiver.serve(aiohttp_server)
    documented = json.loads(example("webhook-body", "json"))
    rota, _ = load_rota(example("rota", "yaml"), "docs/rota.md")
    assert rota is not None
    now = datetime.now(UTC)
    incident = Incident(12, "pb", "Web chat down", "critical", IncidentStatus.TRIGGERED, "manual",
                        "test", {}, now, now)  # fmt: skip
    page = Page(documented["key"], incident, rota.people["amy"], "+447700900001",
                documented["subject"], "text", {"ack": "https://x/page/1"})  # fmt: skip
    check = Checker()
    tree, _ = load(f'url: "{receiver.url}"', "c.yaml")
    assert tree is not None
    target = _configure_webhook(tree, check, "pagers.sms", parse_config("{}", "c.yaml"))
    assert target is not None and check.problems == []
    async with aiohttp.ClientSession() as http:
        await _send_webhook(target, page, http)
    [received] = receiver.requests
    sent: dict[str, Any] = received.json()
    assert set(sent) == set(documented)
    assert sent["incident"] == documented["incident"] and sent["person"] == documented["person"]
    assert received.headers["Idempotency-Key"] == documented["key"]
