"""The examples in README.md and docs/deployment.md, and the shipped files, really work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surge.config import parse_config
from surge.playbook.library import validate_path
from surge.runtime import build_runtime

ROOT = Path(__file__).resolve().parent.parent


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, flags=re.S)


@pytest.fixture
def builtins(config):
    runtime = build_runtime(config, load_entry_points=False)
    return runtime.actions, runtime.templates


def test_the_readme_playbook_validates(tmp_path, builtins):
    [block] = yaml_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    path = tmp_path / "first.yaml"
    path.write_text(block, encoding="utf-8")
    assert validate_path(path, *builtins) == []


def test_the_shipped_playbooks_validate(builtins):
    assert validate_path(ROOT / "playbooks", *builtins) == []


def test_the_shipped_config_and_the_documented_config_parse():
    shipped = parse_config((ROOT / "config" / "surge.yaml").read_bytes(), "config/surge.yaml")
    assert shipped.store == "sqlite:///var/surge.db"
    block, *fragments = yaml_blocks((ROOT / "docs" / "deployment.md").read_text(encoding="utf-8"))
    documented = parse_config(block, "docs/deployment.md")
    [proxies] = [parse_config(text, "docs/deployment.md").audit for text in fragments]
    assert [str(network) for network in proxies.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert documented.webhooks["backup-capacity"].secret_env == "CAPACITY_SECRET"
    assert documented.commands["scale-up"].argv == ("/usr/local/bin/scale", "up")
    assert documented.tokens[0].role == "alert-source"
    assert documented.engine.lease == 15.0
    assert documented.replicas.leader_check == 1.0 and documented.replicas.change_poll == 0.25


def test_config_errors_have_positions():
    from surge.config import ConfigError

    text = "store: mysql://x\nlisten: 1\nengine: {lease: soon}\nbogus: 1\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "c.yaml")
    found = [str(problem) for problem in caught.value.problems]
    assert "c.yaml:4:1: unknown key 'bogus' in the config" in found[0]
    assert any(line.startswith("c.yaml:1:8: store must be") for line in found)
    assert any(line.startswith("c.yaml:3:17: engine.lease:") for line in found)
