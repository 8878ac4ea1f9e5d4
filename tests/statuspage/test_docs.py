"""docs/notices.md's public-side examples are true: the status_page config parses to what
it says, the exported tree it lists is what an export writes, the JSON it shows has the
keys the server answers with (the nginx config and the banner snippet have tests of their
own: test_nginx.py, test_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from statuspage.views import SITE, sample_view

from surge.config import parse_config
from surge.statuspage.export import MANIFEST
from surge.statuspage.snapshot import build

DOC = (Path(__file__).resolve().parents[2] / "docs" / "notices.md").read_text(encoding="utf-8")


def test_the_status_page_config_example_parses():
    [block] = re.findall(r"<!-- example: status-page -->\n```yaml\n(.*?)```", DOC, re.S)
    config = parse_config(block, "docs/notices.md")
    settings = config.status_page
    assert config.public_url == "https://status.example.com"
    assert settings.name["zh-TW"] == "客服服務狀態" and settings.locale == "zh-CN"
    assert settings.time_zone == "Asia/Shanghai" and settings.history_days == 14
    assert settings.export == Path("/srv/status")


def test_the_listed_tree_is_what_an_export_writes():
    [tree] = re.findall(r"```text\n(DIR/.*?)```", DOC, re.S)
    listed = [line.split()[0].removeprefix("DIR/") for line in tree.splitlines() if line]
    written = {file.path for file in build(sample_view(), SITE)} | {MANIFEST}
    assert listed and set(listed) <= written, set(listed) - written
    count = re.search(r"# /srv/status: (\d+) files written", DOC)
    assert count is not None and int(count.group(1)) == len(written) - 1  # the manifest aside


def test_the_status_json_example_has_the_answers_keys():
    [example] = re.findall(r"# (\{\"page\".*?\}\})\n```", DOC, re.S)
    shown = json.loads(example.replace("\n#  ", ""))
    answered = json.loads(build(sample_view(), SITE)["api/v2/status.json"].body)
    assert set(shown) == set(answered) and set(shown["page"]) == set(answered["page"])
    assert set(shown["status"]) == set(answered["status"])
