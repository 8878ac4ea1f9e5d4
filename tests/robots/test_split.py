"""Splitting and truncating long texts for chat robots: never inside a character or a
markdown construct, every part within the limit, nothing lost."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surge.robots.split import split_text, truncate

LINK = "[工单详情](https://support.example.com/t/8842)"
BOLD = "**請勿承諾賠償**"
CODE = "`surge ack 12`"
MENTION = '<at user_id="ou_7d8a6e6df7621556ce0d21922b676706">李伟</at>'
CONSTRUCTS = [LINK, BOLD, CODE, MENTION, "<@liwei>", '<font color="warning">紧急</font>']
WORDS = ["网页客服暂时无法使用", "請引導客戶撥打臨時熱線", "hotline 400-820-8820", "。", "，", " "]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


pieces = st.lists(
    st.one_of(st.sampled_from(CONSTRUCTS), st.sampled_from(WORDS), st.sampled_from(["\n", "\n\n"])),
    min_size=1,
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(pieces, st.integers(min_value=80, max_value=400), st.sampled_from(["bytes", "chars"]))
def test_parts_fit_keep_every_construct_whole_and_lose_nothing(parts, limit, measure):
    text = "".join(parts)
    found = split_text(text, limit, measure)
    size = (lambda t: len(t.encode())) if measure == "bytes" else len
    assert all(size(part) <= limit for part in found)
    assert _squash("".join(found)) == _squash(text)  # only whitespace at the cuts is gone
    wanted = sum(text.count(construct) for construct in CONSTRUCTS)
    kept = sum(part.count(construct) for part in found for construct in CONSTRUCTS)
    assert kept == wanted  # no link, bold, code, tag or mention was cut


def test_a_chinese_text_is_cut_between_characters_at_a_sentence_mark():
    text = "网页客服暂时无法使用，请引导客户拨打临时热线。" * 30  # 69 bytes a sentence
    parts = split_text(text, 4096 // 16)
    assert len(parts) > 1
    assert all(len(part.encode()) <= 256 for part in parts)
    assert all(part.endswith(("。", "，")) for part in parts[:-1])
    assert "".join(parts) == text  # each part decodes: no character was split


def test_paragraphs_are_preferred_over_lines_over_spaces():
    first = "第一段：" + "服务中断。" * 10
    second = "第二段：" + "请稍候。" * 10
    parts = split_text(f"{first}\n\n{second}", len(first.encode()) + 20)
    assert parts == [first, second]


def test_a_cut_code_block_is_closed_and_opened_again():
    text = "步骤：\n```bash\n" + "".join(f"surge ack {n}\n" for n in range(40)) + "```\n完成"
    parts = split_text(text, 200)
    assert len(parts) > 2
    for part in parts:
        assert part.count("```") % 2 == 0, part  # every part renders its code as code
    assert parts[1].startswith("```bash\n")
    assert all(len(part.encode()) <= 200 for part in parts)


def test_a_construct_longer_than_the_limit_is_the_only_thing_cut():
    url = "https://example.com/" + "a" * 300
    parts = split_text(f"见 [链接]({url}) 结束", 120)
    assert all(len(part.encode()) <= 120 for part in parts)
    assert _squash("".join(parts)) == _squash(f"见 [链接]({url}) 结束")


def test_truncate_ends_with_an_ellipsis_and_fits():
    title = "網頁客服暫時無法使用，請引導客戶撥打臨時熱線" * 5
    short = truncate(title, 64)
    assert short.endswith("…") and len(short.encode()) <= 64
    assert title.startswith(short[:-1])
    assert truncate("短标题", 64) == "短标题"
    assert truncate("x" * 30, 10, "chars") == "x" * 9 + "…"


def test_too_small_a_limit_is_refused():
    with pytest.raises(ValueError, match="no room"):
        split_text("text", 4)
