"""Forbidden phrases and promise patterns, seen through width, case, spacing and script."""

from __future__ import annotations

import re
import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surge.scripts.match import KEPT_PUNCTUATION, Hit, find_patterns, find_phrases, normalize

ZH_CN = ["保证", "绝对", "100%"]
ZH_TW = ["保證", "絕對", "100%"]
EN = ["guarantee", "100%", "definitely"]
PROMISE = r"(退款|赔偿|refund|compensat\w*)\s*(of\s*)?[$¥]?\s*\d+"


def spans(text: str, phrases: list[str]) -> list[tuple[str, str]]:
    """(rule, offending span cut from the original text) for each hit."""
    hits = find_phrases(text, phrases)
    for hit in hits:
        assert hit.found == text[hit.start : hit.end]
    return [(hit.rule, text[hit.start : hit.end]) for hit in hits]


@pytest.mark.parametrize(
    ("text", "phrases", "expected"),
    [
        # zh-CN
        ("我们保证今天修复", ZH_CN, [("保证", "保证")]),
        ("我们保 证今天修复", ZH_CN, [("保证", "保 证")]),
        ("我们保，证今天修复", ZH_CN, [("保证", "保，证")]),
        ("我们保。证今天修复", ZH_CN, [("保证", "保。证")]),
        ("我们保\n证今天修复", ZH_CN, [("保证", "保\n证")]),
        ("我们保\u200b证", ZH_CN, [("保证", "保\u200b证")]),
        ("绝对不会再发生", ZH_CN, [("绝对", "绝对")]),
        ("成功率１００％", ZH_CN, [("100%", "１００％")]),
        ("成功率 100 %", ZH_CN, [("100%", "100 %")]),
        ("我们guarantee退款", ["guarantee"], [("guarantee", "guarantee")]),
        # zh-TW
        ("我們保證今天修復", ZH_TW, [("保證", "保證")]),
        ("我們保 證", ZH_TW, [("保證", "保 證")]),
        ("絕對不會再發生", ZH_TW, [("絕對", "絕對")]),
        ("成功率１００％", ZH_TW, [("100%", "１００％")]),
        # Traditional text, Simplified rule, and the reverse
        ("我們保證今天修復", ZH_CN, [("保证", "保證")]),
        ("絕對不會", ZH_CN, [("绝对", "絕對")]),
        ("我们保证今天修复", ZH_TW, [("保證", "保证")]),
        ("绝对不会", ZH_TW, [("絕對", "绝对")]),
        ("保，證", ["保证"], [("保证", "保，證")]),
        # en
        ("We guarantee a fix", EN, [("guarantee", "guarantee")]),
        ("We GUARANTEE a fix", EN, [("guarantee", "GUARANTEE")]),
        ("We Ｇｕａｒａｎｔｅｅ a fix", EN, [("guarantee", "Ｇｕａｒａｎｔｅｅ")]),
        ("We ｇｕａｒａｎｔｅｅ a fix", EN, [("guarantee", "ｇｕａｒａｎｔｅｅ")]),
        ("We guar-antee a fix", EN, [("guarantee", "guar-antee")]),
        ("We g-u-a-r-a-n-t-e-e a fix", EN, [("guarantee", "g-u-a-r-a-n-t-e-e")]),
        ("We g u a r a n t e e a fix", EN, [("guarantee", "g u a r a n t e e")]),
        ("It is guaranteed", EN, [("guarantee", "guarantee")]),
        ("Up 100% of the time", EN, [("100%", "100%")]),
        ("Up １００％ of the time", EN, [("100%", "１００％")]),
        ("a rule in capitals", ["GUARANTEE"], []),
        ("We GUARANTEE", ["GUARANTEE"], [("GUARANTEE", "GUARANTEE")]),
        ("We Ｇuarantee", ["ｇｕａｒａｎｔｅｅ"], [("ｇｕａｒａｎｔｅｅ", "Ｇuarantee")]),
        ("STRASSE", ["straße"], [("straße", "STRASSE")]),
        ("cafe\u0301 open", ["café"], [("café", "cafe\u0301")]),
    ],
)
def test_phrase_cases(text: str, phrases: list[str], expected: list[tuple[str, str]]) -> None:
    assert spans(text, phrases) == expected


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("This is non-refundable", "fund"),  # a Latin phrase must start a word
        ("a refund", "fund"),
        ("1100% sure", "100%"),  # nor inside a longer number
        ("we have 1 000 seats", "100"),
        ("we have 1,000 seats", "100"),
        ("we have 2100 seats", "100"),
        ("保护证件", "保证"),  # CJK needs the characters next to each other
        ("guaran", "guarantee"),
        ("", "guarantee"),
    ],
)
def test_no_false_match(text: str, phrase: str) -> None:
    assert find_phrases(text, [phrase]) == []


def test_cjk_matches_as_substring_and_latin_end_is_free() -> None:
    assert spans("请勿保证退款", ["保证"]) == [("保证", "保证")]
    assert spans("guarantees, guaranteeing", ["guarantee"]) == [
        ("guarantee", "guarantee"),
        ("guarantee", "guarantee"),
    ]
    assert spans("$100 back", ["100"]) == [("100", "100")]


def test_every_occurrence_and_every_rule_sorted_by_start() -> None:
    text = "绝对保证, 保證! We guarantee 100%, GUARANTEE."
    hits = find_phrases(text, ["保证", "绝对", "guarantee", "100%", "保證"])
    assert [h.start for h in hits] == sorted(h.start for h in hits)
    assert [(h.rule, h.found) for h in hits] == [
        ("绝对", "绝对"),
        ("保证", "保证"),
        ("保證", "保证"),
        ("保证", "保證"),
        ("保證", "保證"),
        ("guarantee", "guarantee"),
        ("100%", "100%"),
        ("guarantee", "GUARANTEE"),
    ]


def test_overlapping_rules_are_all_reported() -> None:
    hits = find_phrases("我们绝对保证", ["绝对保证", "保证"])
    assert [(h.rule, h.start, h.end) for h in hits] == [("绝对保证", 2, 6), ("保证", 4, 6)]


def test_empty_and_punctuation_only_phrases_are_ignored() -> None:
    assert find_phrases("!!! ... 保证", ["", "!!!", " ", "，"]) == []


def test_kept_punctuation_is_part_of_the_phrase() -> None:
    assert "%" in KEPT_PUNCTUATION
    assert find_phrases("100 percent", ["100%"]) == []
    assert spans("R&D team", ["r&d"]) == [("r&d", "R&D")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("可以退款 100 元", "退款 100"),
        ("可以退款１００元", "退款１００"),
        ("可以賠償 50 元", "賠償 50"),
        ("we offer a refund of $50 today", "refund of $50"),
        ("we offer a REFUND OF $５０ today", "REFUND OF $５０"),
        ("Compensation 200 USD", "Compensation 200"),
    ],
)
def test_promise_patterns(text: str, found: str) -> None:
    hits = find_patterns(text, [PROMISE])
    assert [(h.rule, h.found) for h in hits] == [(PROMISE, found)]
    (hit,) = hits
    assert text[hit.start : hit.end] == found
    assert hit.start == text.index(found)


def test_patterns_keep_spaces_and_punctuation() -> None:
    # "refund" then a digit only across punctuation: the pattern decides, not the folding.
    assert find_patterns("refund, 100 agents online", [r"refund\s*\d+"]) == []
    assert find_patterns("refund, 100", [r"refund\W*\d+"]) != []


def test_pattern_literals_are_folded_like_the_text() -> None:
    traditional = r"賠償\s*\d+"
    hits = find_patterns("我们赔偿 30 元", [traditional])
    assert [(h.rule, h.found) for h in hits] == [(traditional, "赔偿 30")]
    compiled = re.compile(r"ＲＥＦＵＮＤ\s+\d+")
    hits = find_patterns("Refund 5", [compiled])
    assert [(h.rule, h.found) for h in hits] == [(compiled.pattern, "Refund 5")]
    # Full-width brackets in a pattern are literals, not regex syntax.
    assert [h.found for h in find_patterns("退款(100)", ["退款（\\d+）"])] == ["退款(100)"]


def test_empty_matches_and_empty_patterns_are_ignored() -> None:
    assert find_patterns("abc", ["", r"x*", re.compile(r"\b")]) == []


def test_several_patterns_sorted() -> None:
    hits = find_patterns("refund 5, 退款 9", [r"退款\s*\d", r"refund\s*\d"])
    assert [(h.start, h.found) for h in hits] == [(0, "refund 5"), (10, "退款 9")]


def test_normalize_maps_every_folded_character_back() -> None:
    text = "Ｇ保證ß\u00bd e\u0301"
    folded, index = normalize(text)
    assert folded == "g保证ss1⁄2 é"
    assert len(index) == len(folded)
    assert index == [0, 1, 2, 3, 3, 4, 4, 4, 5, 6]


def test_hit_is_a_frozen_value() -> None:
    hit = Hit(0, 1, "a", "a")
    with pytest.raises(AttributeError):
        hit.start = 2  # type: ignore[misc]


# --- properties ------------------------------------------------------------------------

_ASCII_DROPPED = {
    c for c in string.printable if c.isspace() or unicodedata.category(c).startswith("P")
} - KEPT_PUNCTUATION


def _ascii_fold(s: str) -> str:
    return "".join(c for c in s.casefold() if c not in _ASCII_DROPPED)


_any_text = st.text(st.characters(codec=None, blacklist_categories=()), max_size=60)
_mixed_text = st.text(
    st.one_of(
        st.sampled_from("保證证绝對对乾燥退款 ，。%１０Ｇｇ\u0301\u200b\n-"),
        st.characters(blacklist_categories=()),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_any_text, _mixed_text), phrases=st.lists(_mixed_text, max_size=4))
def test_never_raises_and_offsets_point_into_the_text(text: str, phrases: list[str]) -> None:
    phrases = [*phrases, text[1:5], text[-3:]]
    for hit in [*find_phrases(text, phrases), *find_patterns(text, [r"\w+", r"\d"])]:
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.found == text[hit.start : hit.end]
    folded, index = normalize(text)
    assert len(index) == len(folded)
    assert index == sorted(index)
    assert all(0 <= i < len(text) for i in index)


_ascii_text = st.text(st.sampled_from(string.printable), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=_ascii_text, phrase=_ascii_text, data=st.data())
def test_ascii_hits_cover_exactly_the_phrase(text: str, phrase: str, data: st.DataObject) -> None:
    if len(text) > 3 and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(text) - 1))
        phrase = text[i : data.draw(st.integers(i + 1, len(text)))]
    for hit in find_phrases(text, [phrase]):
        assert 0 <= hit.start < hit.end <= len(text)
        assert _ascii_fold(text[hit.start : hit.end]) == _ascii_fold(phrase)
