"""Choosing zh-CN, zh-TW or en for a reader."""

from __future__ import annotations

import pytest

from surge.statuspage.locale import known, negotiate


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh-CN", "zh-CN"), ("zh", "zh-CN"), ("zh-Hans-CN", "zh-CN"), ("zh-SG", "zh-CN"),
        ("zh-TW", "zh-TW"), ("zh-HK", "zh-TW"), ("zh-Hant", "zh-TW"), ("zh_TW", "zh-TW"),
        ("en", "en"), ("en-GB", "en"), ("EN-us", "en"), ("fr", None), ("", None),
    ],
)  # fmt: skip
def test_language_tags(tag, locale):
    assert known(tag) == locale


def test_query_wins_then_the_best_weighted_language_then_the_default():
    assert negotiate("zh-TW", "en", "en") == "zh-TW"
    assert negotiate("klingon", "zh-CN,zh;q=0.9,en;q=0.8", "en") == "zh-CN"
    assert negotiate(None, "fr-FR,fr;q=0.9,en-US;q=0.8,zh-TW;q=0.7", "zh-CN") == "en"
    assert negotiate(None, "en;q=0.5, zh-HK;q=0.6", "en") == "zh-TW"
    assert negotiate(None, "de, fr", "zh-CN") == "zh-CN"
    assert negotiate(None, "en;q=0, zh;q=bogus", "zh-TW") == "zh-TW"
    assert negotiate(None, None, "en") == "en"
