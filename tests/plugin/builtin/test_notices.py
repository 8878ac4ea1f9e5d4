"""The notice.* actions' arguments as ``surge validate`` checks them: a literal component
status must be one of Statuspage's, a templated one is checked once rendered."""

from __future__ import annotations

from pathlib import Path

from surge.playbook.library import validate_path
from surge.runtime import build_runtime

PLAYBOOK = """
id: outage
title: Outage
params:
  status: {type: string, default: major_outage}
steps:
  - id: notice
    action: notice.publish
    with:
      script: outage-initial
      components: {web-chat: "{{ params.status }}", hotline: STATUS}
"""


def test_a_literal_component_status_is_checked_and_a_templated_one_is_not(config, tmp_path):
    runtime = build_runtime(config, load_entry_points=False)
    good = tmp_path / "good.yaml"
    good.write_text(PLAYBOOK.replace("STATUS", "partial_outage"), encoding="utf-8")
    assert validate_path(good, runtime.actions, runtime.templates) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(PLAYBOOK.replace("STATUS", "down"), encoding="utf-8")
    [problem] = validate_path(bad, runtime.actions, runtime.templates)
    assert "components.hotline: 'down' is not one of operational" in problem.message
    assert Path(problem.pos.file) == bad
