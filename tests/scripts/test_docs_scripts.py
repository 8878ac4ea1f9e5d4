"""Every example in docs/scripts.md and every shipped script loads and keeps its rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from surge.scripts.library import ScriptLibrary
from surge.scripts.model import Script
from surge.scripts.parse import load_script
from surge.scripts.rules import check, fill, render, values_of
from surge.templating import Templates

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "scripts.md"
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n```yaml\n(?P<body>.*?)\n```", re.S)
SAMPLES: dict[str, Any] = {
    "service": "在线客服",
    "impact": "部分用户无法发送消息",
    "eta": "15:30",
    "workaround": "拨打热线 95555",
    "resolved_at": "15:20",
    "contact": "热线 95555",
    "ticket": "C-0042",
    "start": "06-12 02:00",
    "note": "Sorry for the short notice.",
    "title": "在线客服中断",  # the page scripts: the incident's title and id
    "incident": 12,
    "channel": "web-chat",  # the shipped playbooks' scripts
    "hotline": "400-820-8820",
    "self_service": "https://help.example.com",
    "topic": "快递延误",
    "room": "#inc-12",
    "window": "3月3日02:00–04:00",  # maintenance-planned
    "alternative": "使用网页版",
    "report_url": "https://surge.example.com/api/v1/incidents/12/report?format=html",
    "report": "# 事件复盘报告: #12 投诉激增\n\n## 概要",  # complaint-report
}


def examples() -> list[tuple[str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    return [(match["name"], match["body"] + "\n") for match in EXAMPLE.finditer(text)]


def sample_vars(script: Script) -> dict[str, Any]:
    return {name: SAMPLES[name] for name in script.vars if name in SAMPLES}


def assert_keeps_its_rules(script: Script) -> None:
    values = sample_vars(script)
    for locale in script.locales:
        for channel in (None, *script.rules.max_length):
            rendered = render(script, locale, values, channel=channel)
            assert rendered.text.strip() and "{" not in rendered.text
            assert check(script, rendered.text, locale, channel=channel) == []


def test_the_docs_have_examples_in_every_locale() -> None:
    names = [name for name, _ in examples()]
    assert {"first-notice", "complaint-holding", "maintenance-sms"} <= set(names)
    assert len(names) == len(set(names))
    assert DOCS.read_text(encoding="utf-8").count("<!-- example:") == len(names)
    text = "\n".join(body for _, body in examples())
    assert all(f"\n  {locale}:" in text for locale in ("zh-CN", "zh-TW", "en"))


@pytest.mark.parametrize(("name", "text"), examples())
def test_example_loads_and_renders(name: str, text: str) -> None:
    script, problems = load_script(text, f"docs/scripts.md#{name}", Templates())
    assert [str(problem) for problem in problems] == []
    assert script is not None and script.id == name
    assert_keeps_its_rules(script)


def test_the_shipped_scripts_load_and_keep_their_rules() -> None:
    library, problems = ScriptLibrary.load(ROOT / "config" / "scripts", Templates())
    assert problems == []
    ids = [script.id for script in library.all()]
    assert ids == [
        "call-in",
        "complaint-agents",
        "complaint-closed",
        "complaint-escalation",
        "complaint-holding",
        "complaint-report",
        "complaint-resolved",
        "complaint-statement",
        "maintenance-planned",
        "outage-agents",
        "outage-initial",
        "outage-notice",
        "outage-recovered",
        "outage-resolved",
        "outage-update",
        "page-oncall",
        "traffic-agents",
        "traffic-banner",
        "traffic-normal",
    ]
    for script in library.all():
        assert list(script.locales) == ["zh-CN", "zh-TW", "en"]
        assert_keeps_its_rules(script)
        values = sample_vars(script)
        for locale, title in script.titles.items():  # a notice's title keeps them too
            text = fill(title, values_of(script, values))
            assert text.strip() and check(script, text, locale) == []


def test_the_shipped_complaint_reply_fits_an_sms() -> None:
    library, _ = ScriptLibrary.load(ROOT / "config" / "scripts", Templates())
    script = library.get("complaint-holding")
    assert script is not None
    for locale in ("zh-CN", "zh-TW"):
        assert render(script, locale, {"ticket": "C-20240611-0042"}, channel="sms").text
