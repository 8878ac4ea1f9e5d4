"""The ``components:`` section: names per locale (or one for all), groups by their names,
and every problem with its position."""

from __future__ import annotations

import pytest

from surge.config import ConfigError, parse_config


def test_a_name_is_one_text_or_one_per_locale_and_groups_join_by_name() -> None:
    config = parse_config(
        "components:\n"
        "  - {id: web-chat, group: Channels,\n"
        "     name: {zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}}\n"
        "  - {id: hotline, name: Hotline, group: Channels}\n"
        "  - {id: app, name: App}\n",
        "c.yaml",
    )
    web_chat, hotline, app = config.components
    assert hotline.name == {"zh-CN": "Hotline", "zh-TW": "Hotline", "en": "Hotline"}
    assert web_chat.group is hotline.group and web_chat.group is not None
    assert (web_chat.group.id, app.group, app.position) == ("channels", None, 2)


def test_every_problem_is_reported_with_its_position() -> None:
    text = (
        "components:\n"
        "  - {id: Web Chat, name: x}\n"  # 2
        "  - {id: app, name: {zh-CN: 应用, en: App}}\n"  # 3: zh-TW missing
        "  - {id: hotline, name: H, group: {zh-CN: 渠道, zh-TW: 渠道, en: Channels}}\n"
        "  - {id: email, name: E, group: Channels}\n"  # 5: the same group, other names
        "  - {id: hotline, name: H2}\n"  # 6: twice
        "  - {id: sms, name: S, colour: red}\n"  # 7
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "c.yaml")
    found = [str(problem) for problem in caught.value.problems]
    assert any(
        line.startswith("c.yaml:2:") and "a component's id must be" in line for line in found
    )
    assert any(line.startswith("c.yaml:3:") and "missing required key 'zh-TW'" in line
               for line in found)  # fmt: skip
    assert any(line.startswith("c.yaml:5:") and "other names elsewhere" in line for line in found)
    assert any(line.startswith("c.yaml:6:") and "listed twice" in line for line in found)
    assert any(line.startswith("c.yaml:7:") and "unknown key 'colour'" in line for line in found)
