"""Find forbidden phrases and promise patterns in free text, the way a reviewer would.

Used for agents' replies and for rendered notices (issue 5, part 4). Every `Hit`
carries offsets into the ORIGINAL text: ``text[hit.start:hit.end]`` is the
offending span, including any spaces or punctuation skipped inside it.

Folding (`normalize`), applied the same way to the text, to phrases and to the
non-ASCII literals of patterns:

1. NFKC, then casefold, then NFKC again (Unicode's "NFKC casefold" recipe):
   full-width ``Ｇｕａｒａｎｔｅｅ`` and ``１００％`` become ``guarantee`` and
   ``100%``, ``GUARANTEE`` becomes ``guarantee``, ``ß`` becomes ``ss``.  This is
   done per cluster (a character and the combining marks / Hangul jamo that
   follow it) so that composition still works and offsets stay exact.
2. Traditional Chinese is folded to Simplified with OpenCC's ``t2s``
   configuration (PyPI package ``opencc``), so a rule against 保证 catches 保證
   and a rule written as 絕對 catches 绝对.  Runs of CJK characters are converted
   together so that OpenCC's phrase tables apply; should a run ever change
   length, it is converted character by character to keep the index map exact.

Phrases (`find_phrases`) are matched on the folded text with "ignorable"
characters removed from both sides: whitespace and separators (Unicode Z*),
punctuation (P*), control and format characters (Cc, Cf: line breaks, zero-width
spaces, soft hyphens).  So 保 证, 保，证, 保。证, guar-antee, g-u-a-r-a-n-t-e-e and
``100 %`` all match.  Symbols (S*: ``$ + ¥ €`` ...) are kept, and so are the
punctuation characters in `KEPT_PUNCTUATION` (``% ‰ ‱ # & @``), because rules
such as ``100%`` depend on them even though Unicode files ``%`` under Po.  A
phrase that is empty after folding (``""``, ``"!!!"``) is ignored.  Line breaks
are ignorable too: a phrase split over two lines still matches.

Boundaries: CJK phrases match anywhere (Chinese has no spaces).  A phrase that
starts with a letter or digit of a spaced script (Latin, Greek, Cyrillic...)
must start a word: ``fund`` does not fire on ``refund``, ``100%`` not on
``1100%``.  Its end is free, so ``guarantee`` fires on ``guaranteed`` and
``guarantees``, as most reviewers want.  Digits also count across ignorable
characters: a phrase starting or ending with a digit does not fire inside a
longer number, so ``100`` does not fire on ``1 000`` or ``1,000``.

Patterns (`find_patterns`) are regular expressions run over the folded text
WITHOUT removing spaces or punctuation (a pattern author controls those with
``\\s*`` and the like, and removing them would glue numbers together).  String
patterns are compiled with ``re.IGNORECASE``; compiled patterns are recompiled
with their own flags plus ``re.IGNORECASE``.  Non-ASCII characters in a pattern
are always literals, so they are folded like the text (and escaped): a pattern
with 賠償 or ＲＥＦＵＮＤ works.  ASCII is left alone, since casefolding regex
syntax would change it (``\\D`` is not ``\\d``).  An invalid regex raises
`re.error`; validate rules when they are loaded.

The functions never raise on any ``str`` text (lone surrogates included).
Overlapping hits for different rules are all reported; hits of one rule do not
overlap.  Results are sorted by start, then end, then the rule's position in
the list given; a rule listed twice reports each hit once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import opencc

__all__ = ["KEPT_PUNCTUATION", "Hit", "find_patterns", "find_phrases", "normalize"]

KEPT_PUNCTUATION = frozenset("%‰‱#&@")
"""Punctuation (Unicode P*) that phrases keep, because it carries meaning (100%)."""

_CJK_RUN = re.compile("[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True)
class Hit:
    start: int  # offsets into the original text, text[start:end] is the offending span
    end: int
    rule: str  # the phrase or pattern as written in the rule
    found: str  # text[start:end]


@dataclass(frozen=True)
class _Folded:
    """Folded text; folded[k] came from the original span [starts[k], ends[k])."""

    text: str
    starts: list[int]
    ends: list[int]

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Original span covering folded characters first..last (inclusive)."""
        return self.starts[first], self.ends[last]


def normalize(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in `text` it came from."""
    folded = _fold(text)
    return folded.text, folded.starts


def find_phrases(text: str, phrases: Sequence[str]) -> list[Hit]:
    """Every occurrence of each phrase in `text`, seen through the folding above."""
    folded = _fold(text)
    kept = [k for k, ch in enumerate(folded.text) if not _ignorable(ch)]
    stream = "".join(folded.text[k] for k in kept)
    hits: list[tuple[Hit, int]] = []
    for order, phrase in enumerate(phrases):
        needle = _strip(_fold(phrase).text)
        if not needle:
            continue
        for a, b in _occurrences(stream, needle, folded.text, kept):
            start, end = folded.span(kept[a], kept[b - 1])
            hits.append((Hit(start, end, phrase, text[start:end]), order))
    return _sorted(hits)


def find_patterns(text: str, patterns: Sequence[re.Pattern[str] | str]) -> list[Hit]:
    """Every match of each pattern over the folded text (spaces and punctuation kept)."""
    folded = _fold(text)
    hits: list[tuple[Hit, int]] = []
    for order, pattern in enumerate(patterns):
        rule = pattern if isinstance(pattern, str) else pattern.pattern
        if not rule:
            continue
        for match in _compile(pattern).finditer(folded.text):
            if match.end() > match.start():
                start, end = folded.span(match.start(), match.end() - 1)
                hits.append((Hit(start, end, rule, text[start:end]), order))
    return _sorted(hits)


# --- folding -------------------------------------------------------------------------


def _fold(text: str) -> _Folded:
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _clusters(text):
        piece = _fold_width_and_case(text[start:end])
        pieces.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return _simplify(_Folded("".join(pieces), starts, ends))


def _clusters(text: str) -> Iterator[tuple[int, int]]:
    """Spans of a character plus the marks/jamo that NFKC may compose with it."""
    start = 0
    for i in range(1, len(text)):
        if not _continues_cluster(text[i]):
            yield start, i
            start = i
    if text:
        yield start, len(text)


def _continues_cluster(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.category(ch).startswith("M")
        or 0x1160 <= code <= 0x11FF  # Hangul medial vowels and final consonants
        or 0xD7B0 <= code <= 0xD7FF
    )


def _fold_width_and_case(s: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s).casefold())


def _simplify(folded: _Folded) -> _Folded:
    """Traditional to Simplified on each CJK run, keeping the index map exact."""
    text = folded.text
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for run in _CJK_RUN.finditer(text):
        pieces.append(text[done : run.start()])
        starts.extend(folded.starts[done : run.start()])
        ends.extend(folded.ends[done : run.start()])
        for k, piece in _convert_run(run.group(), run.start()):
            pieces.append(piece)
            starts.extend([folded.starts[k]] * len(piece))
            ends.extend([folded.ends[k]] * len(piece))
        done = run.end()
    pieces.append(text[done:])
    starts.extend(folded.starts[done:])
    ends.extend(folded.ends[done:])
    return _Folded("".join(pieces), starts, ends)


def _convert_run(run: str, offset: int) -> Iterator[tuple[int, str]]:
    """(index in the folded text, converted text) for each character of a CJK run."""
    converted = _t2s(run)
    if len(converted) == len(run):
        yield from zip(range(offset, offset + len(run)), converted, strict=True)
        return
    for k, ch in enumerate(run):  # a length change: give up context, keep the map exact
        yield offset + k, _t2s(ch)


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def _t2s(s: str) -> str:
    result: str = _converter().convert(s)
    return result


# --- phrases -------------------------------------------------------------------------


def _ignorable(ch: str) -> bool:
    if ch in KEPT_PUNCTUATION:
        return False
    category = unicodedata.category(ch)
    return category[0] in "ZP" or category in ("Cc", "Cf")


def _strip(folded: str) -> str:
    return "".join(ch for ch in folded if not _ignorable(ch))


def _occurrences(
    stream: str, needle: str, folded: str, kept: list[int]
) -> Iterator[tuple[int, int]]:
    """Non-overlapping [a, b) spans of `needle` in `stream` that respect boundaries."""
    a = stream.find(needle)
    while a >= 0:
        b = a + len(needle)
        if _at_boundaries(stream, a, b, folded, kept[a]):
            yield a, b
            a = stream.find(needle, b)
        else:
            a = stream.find(needle, a + 1)


def _at_boundaries(stream: str, a: int, b: int, folded: str, k: int) -> bool:
    first, last = stream[a], stream[b - 1]
    if _is_word_char(first) and k > 0 and _is_word_char(folded[k - 1]):
        return False
    if first.isdigit() and a > 0 and stream[a - 1].isdigit():
        return False
    return not (last.isdigit() and b < len(stream) and stream[b].isdigit())


def _is_word_char(ch: str) -> bool:
    """A letter or digit of a script that separates words with spaces."""
    return ch.isalnum() and ord(ch) < 0x2E80


# --- patterns and results ------------------------------------------------------------


def _compile(pattern: re.Pattern[str] | str) -> re.Pattern[str]:
    if isinstance(pattern, str):
        return re.compile(_fold_pattern_source(pattern), re.IGNORECASE)
    return re.compile(_fold_pattern_source(pattern.pattern), pattern.flags | re.IGNORECASE)


def _fold_pattern_source(source: str) -> str:
    """Fold the non-ASCII characters of a regex (always literals); leave ASCII syntax alone."""
    return _NON_ASCII_RUN.sub(lambda m: re.escape(_fold(m.group()).text), source)


def _sorted(hits: list[tuple[Hit, int]]) -> list[Hit]:
    """By start, then end, then the rule's position in the list; duplicates dropped."""
    ordered = sorted(hits, key=lambda item: (item[0].start, item[0].end, item[1]))
    return list(dict.fromkeys(hit for hit, _ in ordered))
