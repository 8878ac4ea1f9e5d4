"""docs/triggers.md works as written: the detection recipe loads with the real built-ins
and its PromQL parses and fires as described (promtool), the Alertmanager receiver is a
valid Alertmanager config, and the replay example prints what the page shows."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from integration.services import (
    INSTALL_HINT,
    TRIGGERS_DOC,
    alertmanager_config,
    doc_block,
    free_port,
    run_surge,
    write_surge,
)

from surge.actions import ActionRegistry
from surge.playbook import Playbook, load_playbook
from surge.playbook.model import MetricTrigger
from surge.plugin.manager import PluginManager
from surge.templating import Templates
from surge.web.auth import hash_token

EXAMPLE = "example: complaint-surge-detect"


def builtins() -> ActionRegistry:
    """surge's real built-in actions (as tests/playbook/conftest.py builds them)."""
    registry = ActionRegistry()
    PluginManager(load_entry_points=False).register_actions(registry)
    return registry


def detection_playbook() -> Playbook:
    text = doc_block(EXAMPLE)
    playbook, problems = load_playbook(text, f"docs/triggers.md#{EXAMPLE}", builtins(), Templates())
    assert [str(problem) for problem in problems] == []
    assert playbook is not None
    return playbook


def metric_triggers(playbook: Playbook) -> list[tuple[int, MetricTrigger]]:
    return [(i, t) for i, t in enumerate(playbook.triggers) if isinstance(t, MetricTrigger)]


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"`{name}` is not installed: {INSTALL_HINT}")
    return found


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_the_detection_example_loads_with_the_real_builtins() -> None:
    playbook = detection_playbook()
    assert playbook.id == "complaint-surge-detect"
    assert list(playbook.group_by) == ["topic"]
    triggers = metric_triggers(playbook)
    assert len(triggers) == 2
    baseline, zscore = (trigger for _, trigger in triggers)
    assert "offset 1w" in baseline.query and "offset 1w" in (baseline.clear or "")
    assert "avg_over_time" in zscore.query and "stddev_over_time" in zscore.query
    assert all(trigger.clear and trigger.clear_for > 0 for trigger in (baseline, zscore))


def rules_file(playbook: Playbook) -> dict[str, Any]:
    """Every query and clear condition of the example as an alerting rule."""
    rules: list[dict[str, str]] = []
    for index, trigger in metric_triggers(playbook):
        assert trigger.clear is not None
        rules.append({"alert": f"Trigger{index}", "expr": trigger.query})
        rules.append({"alert": f"Trigger{index}Clear", "expr": trigger.clear})
    return {"groups": [{"name": "complaint-surge-detect", "rules": rules}]}


def test_the_detection_promql_parses(tmp_path: Path) -> None:
    promtool = tool("promtool")
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump(rules_file(detection_playbook())), encoding="utf-8")
    checked = run([promtool, "check", "rules", str(rules)], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout

    # and promtool does refuse what is not PromQL, so the check above means something
    broken = {"groups": [{"name": "x", "rules": [{"alert": "X", "expr": "sum by (topic) ("}]}]}
    rules.write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert run([promtool, "check", "rules", str(rules)], tmp_path).returncode != 0


def test_the_detection_promql_fires_on_a_surge_and_not_on_a_steady_topic(
    tmp_path: Path,
) -> None:
    """A week and an hour of 2 complaints a minute, then 10 a minute (billing); 2 a
    minute throughout (delivery); a topic never seen before at 6 a minute (refunds)."""
    promtool = tool("promtool")
    (tmp_path / "rules.yml").write_text(
        yaml.safe_dump(rules_file(detection_playbook())), encoding="utf-8"
    )
    week_and_hour = 7 * 24 * 60 + 60  # minutes
    now = f"{week_and_hour + 20}m"
    series = {
        "billing": f"0+2x{week_and_hour} {2 * week_and_hour + 10}+10x20",
        "delivery": f"0+2x{week_and_hour + 20}",
        "refunds": f"_x{week_and_hour} 0+6x20",
    }
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "10m",  # rules are evaluated from 0 on: keep it quick
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f'cs_complaints_total{{topic="{topic}"}}', "values": values}
                    for topic, values in series.items()
                ],
                "alert_rule_test": [
                    {
                        "eval_time": now,
                        "alertname": "Trigger1",
                        "exp_alerts": [
                            {"exp_labels": {"topic": "billing"}},
                            {"exp_labels": {"topic": "refunds"}},
                        ],
                    },
                    {
                        "eval_time": now,
                        "alertname": "Trigger1Clear",
                        "exp_alerts": [{"exp_labels": {"topic": "delivery"}}],
                    },
                    {
                        "eval_time": now,
                        "alertname": "Trigger2",
                        "exp_alerts": [{"exp_labels": {"topic": "billing"}}],
                    },
                    {
                        "eval_time": f"{week_and_hour - 10}m",
                        "alertname": "Trigger1",
                        "exp_alerts": [],
                    },
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    tested = run([promtool, "test", "rules", "tests.yml"], tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_receivers_snippet_is_a_valid_alertmanager_config(tmp_path: Path) -> None:
    amtool = tool("amtool")
    config = tmp_path / "alertmanager.yml"
    config.write_text(alertmanager_config("http://127.0.0.1:8080"), encoding="utf-8")
    checked = run([amtool, "check-config", str(config)], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and " - 1 receivers" in checked.stdout
    parsed = yaml.safe_load(doc_block("snippet: alertmanager-receivers"))
    [webhook] = parsed["receivers"][0]["webhook_configs"]
    assert webhook["url"].endswith("/api/v1/alerts/alertmanager")
    assert webhook["send_resolved"] is True
    assert set(webhook["http_config"]["authorization"]) == {"credentials"}  # bearer


async def test_the_documented_token_command_makes_an_alert_source_token(tmp_path: Path) -> None:
    [line] = [
        line
        for line in TRIGGERS_DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("surge token create")
    ]
    assert "--role alert-source" in line
    config = write_surge(tmp_path / "home", free_port(), {})
    code, output = await run_surge(*shlex.split(line)[1:], "--json", "--config", str(config))
    assert code == 0, output
    created = json.loads(output)
    assert (created["role"], created["name"]) == ("alert-source", "alertmanager")
    assert created["sha256"] == hash_token(created["token"])


async def test_the_replay_example_prints_what_the_doc_shows(tmp_path: Path) -> None:
    config = write_surge(
        tmp_path / "home", free_port(), {"complaint-surge-detect": doc_block(EXAMPLE)}
    )
    (tmp_path / "complaints.csv").write_text(doc_block("snippet: replay-csv", "csv"), "utf-8")
    command, *shown = doc_block("snippet: replay-output", "text").splitlines()
    argv = shlex.split(command.removeprefix("$ "))
    assert argv[:2] == ["surge", "simulate"]
    code, output = await run_surge(
        *argv[1:], "--config", str(config), env={"COLUMNS": "120"}, cwd=tmp_path
    )
    assert code == 0, output
    assert [line.split() for line in output.splitlines()] == [line.split() for line in shown]
