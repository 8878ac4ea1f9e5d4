"""docs/getting-started.md as a new team would follow it: its config and playbook files
in a fresh folder, a real ``surge serve`` on them, and its shell steps run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support.serve import free_port, serve

from surge.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "getting-started.md"


def _files(text: str) -> dict[str, str]:
    return dict(re.findall(r"<!-- file: (\S+) -->\n```yaml\n(.*?)```", text, re.S))


def _steps(text: str) -> str:
    found = re.search(r"<!-- example: first-incident -->\n```sh\n(.*?)```", text, re.S)
    assert found, "docs/getting-started.md lost its first-incident steps"
    return found.group(1)


def test_the_documented_config_is_the_default_layout() -> None:
    files = _files(DOC.read_text(encoding="utf-8"))
    assert set(files) == {"config/surge.yaml", "playbooks/web-chat-down.yaml"}
    config = parse_config(files["config/surge.yaml"], "config/surge.yaml")
    assert config.store == "sqlite:///var/surge.db" and str(config.playbooks) == "playbooks"


def test_a_first_incident_as_the_doc_runs_it(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    port = free_port()
    for name, body in _files(text).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body.replace("127.0.0.1:8080", f"127.0.0.1:{port}"), encoding="utf-8")
    config = tmp_path / "config" / "surge.yaml"
    with serve(config, f"http://127.0.0.1:{port}", tmp_path) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _steps(text)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, (done.stdout, done.stderr, server.output())
    out = done.stdout
    assert "no problems" in done.stderr + out
    assert "*******5678" in out and "13812345678" not in out
    assert "acknowledged by" in out and "resolved by" in out
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Post-incident report: #1 Web chat is down")
    assert "- **Engineering**: Root cause of the web-chat outage" in report
    assert "- Time to acknowledge: " in report and "not reached" in report  # never mitigated
    assert "13812345678" not in report
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="customers">Affected customers</h2>' in page
