"""docs/operations.md: every metric it names is one surge exposes, and the shipped alert
rules pass `promtool check rules` and fire, in `promtool test rules`, on the series they
are meant for."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from surge.metrics import Metrics
from surge.store.records import IncidentStatus

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
RULES = ROOT / "config" / "prometheus" / "surge-rules.yml"
RULE_TESTS = RULES.with_name("surge-rules.test.yml")  # promtool's unit tests of the rules


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is needed: ./scripts/test installs Debian's prometheus package")
    return found


def _exposed() -> set[str]:
    """Every sample name surge's registry can expose (counters' _total, histograms' parts)."""
    metrics = Metrics()
    metrics.steps.labels(action="log", outcome="succeeded").inc()
    metrics.step_duration.labels(action="log").observe(0.1)
    metrics.signals.labels(playbook="p", source="alert", outcome="opened").inc()
    metrics.trigger_state.labels(playbook="p", trigger="t", state="unknown").set(1)
    metrics.escalations.labels(policy="p", outcome="exhausted").inc()
    metrics.plugin_errors.labels(plugin="x").inc()
    metrics.subscription_deliveries.labels(channel="email", outcome="sent").inc()
    metrics.set_incident_counts({("p", "manual", IncidentStatus.TRIGGERED): 1})
    families = list(metrics.registry.collect())
    histograms = {family.name for family in families if family.type == "histogram"}
    return histograms | {sample.name for family in families for sample in family.samples}


def test_every_metric_the_doc_and_the_rules_name_is_exposed() -> None:
    exposed = _exposed()
    named = set(re.findall(r"`(surge_[a-z_]+)`", DOC.read_text(encoding="utf-8")))
    assert len(named) >= 8
    assert named <= exposed, named - exposed
    in_rules = set(re.findall(r"\b(surge_[a-z_]+)\{", RULES.read_text(encoding="utf-8")))
    assert in_rules <= exposed and in_rules <= named


def test_the_documented_prometheus_fragments_parse() -> None:
    blocks = re.findall(r"<!-- example: [\w-]+ -->\n```yaml\n(.*?)```", DOC.read_text(), re.S)
    scrape, rule_files = (yaml.safe_load(block) for block in blocks)
    assert scrape["scrape_configs"][0]["job_name"] == "surge"  # what SurgeDown selects
    assert rule_files["rule_files"][0].endswith(RULES.name)


def test_promtool_checks_the_rules_and_each_alert_fires_on_its_series() -> None:
    promtool = _promtool()
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout
    tested = subprocess.run(
        [promtool, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, timeout=60
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
