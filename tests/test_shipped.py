"""The shipped tree (playbooks/, config/surge.yaml, config/rota.yaml, config/scripts/) is
what a new team adopts: `surge validate` passes on it as it is, and each of the three
playbooks has what DESIGN.md asks of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.cli import main
from surge.cli.render import err, out
from surge.config import load_config
from surge.playbook.model import AlertTrigger, ManualTrigger, MetricTrigger, Playbook, Step
from surge.runtime import Runtime, build_runtime
from surge.scripts.model import LOCALES

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("traffic-peak", "system-outage", "complaint-surge")


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.chdir(ROOT)  # the config's paths are relative to the checkout
    monkeypatch.delenv("SURGE_CONFIG", raising=False)
    return build_runtime(load_config(str(ROOT / "config" / "surge.yaml")))


def test_surge_validate_passes_on_the_shipped_tree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SURGE_CONFIG", raising=False)
    monkeypatch.setattr(out, "width", 300)
    monkeypatch.setattr(err, "width", 300)
    code = main(["validate"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "config/surge.yaml, playbooks, config/scripts, config/rota.yaml: no problems" in (
        captured.out
    )


def _playbook(runtime: Runtime, playbook_id: str) -> Playbook:
    playbook = runtime.playbooks.get(playbook_id)
    assert playbook is not None, f"{playbook_id} is not loaded: {runtime.problems}"
    return playbook


def _steps(playbook: Playbook) -> list[Step]:
    return [*playbook.steps, *playbook.on_resolve]


@pytest.mark.parametrize("playbook_id", SHIPPED)
def test_each_playbook_has_every_kind_of_trigger_typed_params_and_on_resolve(
    shipped: Runtime, playbook_id: str
) -> None:
    assert shipped.problems == []
    playbook = _playbook(shipped, playbook_id)
    kinds = {type(trigger) for trigger in playbook.triggers}
    assert kinds == {ManualTrigger, AlertTrigger, MetricTrigger}
    assert playbook.params and all(spec.type for spec in playbook.params.values())
    assert playbook.on_resolve
    metric = next(t for t in playbook.triggers if isinstance(t, MetricTrigger))
    assert metric.clear and metric.data and metric.id  # hysteresis, no-data, stable identity


@pytest.mark.parametrize("playbook_id", SHIPPED)
def test_every_script_a_playbook_names_is_shipped_in_three_locales(
    shipped: Runtime, playbook_id: str
) -> None:
    playbook = _playbook(shipped, playbook_id)
    named = {str(step.with_["script"]) for step in _steps(playbook) if "script" in step.with_}
    assert named
    for script_id in named:
        script = shipped.scripts.get(script_id)
        assert script is not None, f"{playbook_id} names script {script_id!r}, not shipped"
        assert tuple(script.locales) == LOCALES


def test_what_each_playbook_does(shipped: Runtime) -> None:
    """The parts of DESIGN.md's "three playbooks the product ships", by action."""
    actions = {pid: [s.action for s in _steps(_playbook(shipped, pid))] for pid in SHIPPED}
    assert {"staff.call_in", "webhook", "channel.broadcast_script"} <= set(actions["traffic-peak"])
    assert {"channel.open", "hotline.open", "page", "hotline.close", "channel.close"} <= set(
        actions["system-outage"]
    )
    assert {"channel.open", "channel.broadcast_script", "channel.post", "page", "report.send"} <= (
        set(actions["complaint-surge"])
    )
