"""Every text of the console in the three locales, with the same values in each; the
locale a browser asks for; the config's console section."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from surge.config import ConfigError, parse_config
from surge.notices.model import Audience, ComponentStatus, NoticeState
from surge.store.records import IncidentStatus, RunStatus
from surge.web.console.incidents import ACTIONS
from surge.web.console.messages import MESSAGES
from surge.web.console.overview import PHASES
from surge.web.locales import best_locale

TEMPLATES = Path(__file__).resolve().parents[3] / "surge" / "web" / "console" / "templates"


def names(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_text_has_three_locales_with_the_same_values() -> None:
    for key, texts in MESSAGES.items():
        assert len(texts) == 3 and all(text.strip() for text in texts), key
        assert names(texts[0]) == names(texts[1]) == names(texts[2]), key
    for zh_cn, zh_tw in ((texts[1], texts[2]) for texts in MESSAGES.values()):
        assert not re.search(r"[A-Za-z]{4,}", re.sub(r"\{\w+\}|Cookie|API|surge", "", zh_cn)), zh_cn
        assert not re.search(r"[A-Za-z]{4,}", re.sub(r"\{\w+\}|Cookie|API|surge", "", zh_tw)), zh_tw


def test_every_key_the_templates_use_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r'\bt\("([a-z_.0-9]+)"', template.read_text(encoding="utf-8")))
    prefixes = {key for key in used if key.endswith(".")}  # t("status." + value)
    assert used and not used - prefixes - set(MESSAGES), used - prefixes - set(MESSAGES)
    values = {
        "status.": [item.value for item in IncidentStatus],
        "run.": [item.value for item in RunStatus],
        "action.": list(ACTIONS),
        "state.": sorted({*PHASES.values(), "silenced"}),
        "notice_state.": [item.value for item in NoticeState],
        "audience.": [item.value for item in Audience],
        "component.": [item.value for item in ComponentStatus],
    }
    assert prefixes <= set(values), prefixes - set(values)
    missing = [f"{prefix}{value}" for prefix in prefixes for value in values[prefix]]
    assert not set(missing) - set(MESSAGES), set(missing) - set(MESSAGES)


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-Hant-TW", "zh-TW"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("en;q=0.5, zh-CN;q=0.8", "zh-CN"),
        ("zh-CN;q=0, en", "en"),
        ("de, en-GB;q=0.7, zh;q=0.7", "en"),
        ("zh-CN;q=bogus, zh-TW;q=0.1", "zh-TW"),
    ],
)
def test_the_locale_a_browser_asks_for(header: str, locale: str) -> None:
    assert best_locale(header) == locale


def test_the_console_section_of_the_config() -> None:
    config = parse_config("console: {secret_env: CONSOLE_KEY, session_ttl: 8h}\n", "c.yaml")
    assert (config.console.secret_env, config.console.session_ttl) == ("CONSOLE_KEY", 8 * 3600)
    assert parse_config("store: sqlite:///x.db\n", "c.yaml").console.session_ttl == 12 * 3600
    with pytest.raises(ConfigError, match=r"console\.session_ttl must be more than 0"):
        parse_config("console: {session_ttl: 0s}\n", "c.yaml")
    with pytest.raises(ConfigError, match="unknown key 'secret'"):
        parse_config("console: {secret: x}\n", "c.yaml")


def test_docs_console_shows_every_screenshot_the_browser_tests_take() -> None:
    root = TEMPLATES.parents[3]
    text = (root / "docs" / "console.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\(console/([\w-]+)\.png\)", text)
    tests = (root / "tests" / "web" / "console" / "test_console_browser.py").read_text("utf-8")
    taken = re.findall(r'\.shot\("([\w-]+)"', tests)
    assert sorted(shown) == sorted(taken), "docs/console.md and the browser tests differ"
    committed = sorted(path.stem for path in (root / "docs" / "console").glob("*.png"))
    assert committed == sorted(taken), "run the browser tests with --screenshots docs/console"
