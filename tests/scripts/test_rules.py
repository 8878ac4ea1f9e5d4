"""Rendering a script and checking text against its rules, in zh-CN, zh-TW and en."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surge.scripts.model import Script
from surge.scripts.parse import load_script
from surge.scripts.rules import ScriptError, Violation, approved_wording, check, render
from surge.templating import Templates

VALUES = {"service": "在线客服", "eta": "15:30"}


def rules(found: list[Violation]) -> list[tuple[str, str]]:
    return [(item.rule, item.found) for item in found]


# --- rendering -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("zh-CN", "在线客服故障，预计15:30恢复，约30分钟。"),
        ("zh-TW", "在线客服異常，預計15:30恢復，約30分鐘。"),
        ("en", "在线客服 is down; back by 15:30, in about 30 minutes."),
    ],
)
def test_render_in_each_locale(sample: Script, locale: str, text: str) -> None:
    assert render(sample, locale, VALUES).text == text
    assert render(sample, locale, VALUES).locale == locale


def test_vars_are_typed_by_the_params_type_system(sample: Script) -> None:
    rendered = render(sample, "en", {**VALUES, "minutes": "45"})
    assert "about 45 minutes" in rendered.text
    with pytest.raises(ScriptError) as caught:
        render(sample, "en", {"service": "web", "minutes": "soon", "colour": "red"})
    assert caught.value.problems == [
        "unknown var 'colour'; vars: service, eta, minutes, note",
        "var 'eta' is required",
        "var 'minutes': expected a whole number, got 'soon'",
    ]


def test_a_required_fact_must_not_be_empty(sample: Script) -> None:
    with pytest.raises(ScriptError, match="var 'eta' is required and empty"):
        render(sample, "en", {"service": "web", "eta": "   "})


def test_outside_values_are_data_not_templates(sample: Script) -> None:
    text = render(sample, "en", {"service": "{{ 7*7 }}", "eta": "{% raw %}"}).text
    assert text.startswith("{{ 7*7 }} is down; back by {% raw %},")


def test_a_missing_locale_fails_and_says_which_there_are() -> None:
    script = _script("locales: {en: Hello., zh-CN: 你好。}")
    with pytest.raises(ScriptError, match=r"has no zh-TW wording; it has: en, zh-CN"):
        render(script, "zh-TW", {})
    with pytest.raises(ScriptError, match=r"unknown locale 'fr'; surge knows zh-CN, zh-TW, en"):
        render(script, "fr", {})


def test_rendering_refuses_text_that_breaks_a_rule(sample: Script) -> None:
    with pytest.raises(ScriptError) as caught:
        render(sample, "zh-CN", {"service": "绝对可靠的服务", "eta": "退款 100 元后"})
    assert caught.value.problems == [
        "the zh-CN text breaks a rule: '绝对' is a forbidden phrase (rule: 绝对)",
        r"the zh-CN text breaks a rule: '退款 100' is an unapproved promise "
        r"(rule: (退款|赔偿|refund|compensat\w*)\s*[0-9]+)",
    ]


def test_rendering_checks_the_channel_length(sample: Script) -> None:
    assert render(sample, "zh-CN", VALUES, channel="push").text
    with pytest.raises(ScriptError, match="more than the 60 a push message may have"):
        render(sample, "en", {**VALUES, "service": "The customer service web chat"}, channel="push")


def test_sms_allows_70_characters_with_cjk_and_160_without() -> None:
    script = _script("vars: {body: string}\nlocales: {en: '{{ body }}', zh-CN: '{{ body }}'}")
    assert render(script, "en", {"body": "a" * 160}, channel="sms")
    assert render(script, "zh-CN", {"body": "字" * 70}, channel="sms")
    with pytest.raises(ScriptError, match="71 characters is more than the 70 a sms message"):
        render(script, "zh-CN", {"body": "a" * 70 + "字"}, channel="sms")
    with pytest.raises(ScriptError, match="161 characters is more than the 160"):
        render(script, "en", {"body": "a" * 161}, channel="sms")


# --- checking free text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("zh-CN", "我们保证今天修好", [("forbidden", "保证")]),
        ("zh-CN", "我们保證今天修好", [("forbidden", "保證")]),  # Traditional in a zh-CN reply
        ("zh-TW", "我們保证今天修好", [("forbidden", "保证")]),  # Simplified in a zh-TW reply
        ("zh-CN", "我们保 证，绝。对可以", [("forbidden", "保 证"), ("forbidden", "绝。对")]),
        ("zh-CN", "成功率１００％", [("forbidden", "１００％")]),  # full-width digits
        ("zh-TW", "可以退款 ５０ 元", [("promise", "退款 ５０")]),
        ("en", "We GUARANTEE it", [("forbidden", "GUARANTEE")]),
        ("en", "we ｇｕａｒａｎｔｅｅ it", [("forbidden", "ｇｕａｒａｎｔｅｅ")]),
        ("en", "guar-antee, for  sure", [("forbidden", "guar-antee"), ("forbidden", "for  sure")]),
        ("en", "Refund 20 to all", [("promise", "Refund 20")]),
        ("en", "we will compensate 100 users", [("promise", "compensate 100")]),
        ("en", "服务保证 is back, refund 5", [("promise", "refund 5")]),  # zh phrase, en locale
        ("zh-CN", "服务 guarantee 已恢复", []),  # an en phrase in a zh-CN reply
        ("en", "Back by 15:30, sorry.", []),
    ],
)
def test_check_sees_through_width_case_spacing_and_variants(
    sample: Script, locale: str, text: str, expected: list[tuple[str, str]]
) -> None:
    found = check(sample, text, locale)
    assert rules(found) == expected
    for item in found:
        assert text[item.start : item.end] == item.found


def test_violations_carry_the_approved_wording(sample: Script) -> None:
    [found] = check(sample, "我们保證", "zh-CN")
    assert found.instead == "[service]故障，预计[eta]恢复，约30分钟。"
    assert found.message == "'保證' is a forbidden phrase (rule: 保证)"
    assert found.as_json()["rule"] == "forbidden"


def test_max_length_points_at_the_characters_beyond_the_limit(sample: Script) -> None:
    text = "x" * 65
    [found] = check(sample, text, "en", channel="push")
    assert (found.rule, found.start, found.end, found.found) == ("max_length", 60, 65, "xxxxx")
    assert check(sample, text, "en") == []  # no channel, no length


def test_required_facts_are_checked_when_the_values_are_known(sample: Script) -> None:
    values = {"eta": "１５:３０"}
    assert check(sample, "back by 15:30", "en", values=values) == []
    [missing] = check(sample, "back soon", "en", values=values)
    assert (missing.rule, missing.start, missing.end) == ("required", 0, 0)
    assert missing.message == "the required fact 'eta' (１５:３０) is not in the text"


def test_the_approved_wording() -> None:
    script = _script(
        "vars: {n: {type: int, default: 3}, who: string}\n"
        "locales: {en: '{% if who %}Hi {{ who | upper }}, {% endif %}{{ n }} left.'}"
    )
    assert approved_wording(script, "en") == "Hi [WHO], 3 left."
    assert approved_wording(script, "zh-CN") == "Hi [WHO], 3 left."  # its first locale
    filtered = _script("vars: {n: int}\nlocales: {en: '{{ n + 1 }} left {# c #}.'}")
    assert approved_wording(filtered, "en") == "[n] left ."


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["zh-CN", "zh-TW", "en"]))
def test_checking_any_text_never_crashes_and_offsets_point_into_it(text: str, locale: str) -> None:
    script = _script(_SAMPLE_RULES)
    for item in check(script, text, locale, channel="sms", values={"eta": "15:30"}):
        assert 0 <= item.start <= item.end <= len(text)
        assert text[item.start : item.end] == item.found
        assert item.rule in ("forbidden", "promise", "required", "max_length")


_SAMPLE_RULES = """\
vars: {eta: string}
locales: {en: "back by {{ eta }}"}
rules:
  required: [eta]
  forbidden: {"*": ["100%", guarantee], zh-CN: [保证, 绝对], zh-TW: [保證]}
  promises: ["(退款|refund)\\\\s*[0-9]+", "免[单費费]"]
"""


def _script(body: str) -> Script:
    script, found = load_script(f"id: t\ntitle: T\n{body}\n", "t.yaml", Templates())
    assert found == [], found
    assert script is not None
    return script
