"""Fitting text into a chat robot's message limit: split into parts, or truncate one.

Limits are counted the way each platform counts them: UTF-8 bytes (WeCom's markdown takes
4096 bytes) or characters. A cut never falls inside a character (counting bytes, a
Chinese character is three of them, all kept together) nor inside a markdown construct:
a link ``[text](url)``, inline code, ``**bold**``, a tag such as ``<font …>…</font>`` or a
mention (``<@id>``, ``<at …>…</at>``). A fenced code block that must be cut is closed at
the end of one part and opened again, with its language, at the start of the next.

Where to cut, best first: between paragraphs, between lines, after a space or a
sentence mark (。！？；，、 and their Latin kin), else between any two characters. Only a
single construct longer than the whole limit is itself cut between characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# UTF-8 bytes, characters, or a platform's own count (it must add up over pieces: the
# count of a text is the sum of its parts' counts)
Measure = Literal["bytes", "chars"] | Callable[[str], int]
ELLIPSIS = "…"
FENCE = "```"
_ATOM = re.compile(
    r"\[[^\]\n]*\]\([^)\s]*\)"  # a link
    r"|`[^`\n]+`"  # inline code
    r"|\*\*[^*\n]+\*\*"  # bold
    r"|<(font|at)\b[^>\n]*>[^<\n]*</\1>"  # a tag with its content
    r"|<@[^>\s]+>|<at\b[^>\n]*/>"  # a mention
    r"|.",
    re.S,
)
_SENTENCE_END = frozenset("。！？；，、.!?;,:：)）」』】")
_FENCE_LINE = re.compile(r"^```[^`\n]*$")
# how good a place to cut after each kind of atom is: higher is better
_PARAGRAPH, _LINE, _SPACE, _ANY = 3, 2, 1, 0


def measure_of(measure: Measure) -> Callable[[str], int]:
    if callable(measure):
        return measure
    if measure == "bytes":
        return lambda text: len(text.encode("utf-8"))
    return len


@dataclass
class _Atom:
    text: str
    fence: str  # the opening fence line of the code block it is in, or ""
    rank: int = _ANY  # how good a cut right after it is


def split_text(text: str, limit: int, measure: Measure = "bytes") -> list[str]:
    """``text`` in parts of at most ``limit`` (bytes or characters), in order: nothing is
    lost but the line breaks and spaces where it was cut. Empty text gives no parts."""
    if limit < 8:
        raise ValueError(f"a limit of {limit} leaves no room for a part")
    size = measure_of(measure)
    atoms = _atoms(text.strip())
    parts: list[str] = []
    start = 0
    while start < len(atoms):
        opener = atoms[start].fence
        prefix = f"{opener}\n" if opener and atoms[start].text != opener else ""
        end = _cut(atoms, start, limit - size(prefix), size)
        body = prefix + "".join(atom.text for atom in atoms[start:end])
        if atoms[end - 1].fence and end < len(atoms) and atoms[end].fence:
            body = body.rstrip("\n") + f"\n{FENCE}"  # close the block; the next part reopens it
        if body.strip():
            parts.append(body.strip("\n").rstrip())
        start = _skip_breaks(atoms, end)
    return parts


def truncate(text: str, limit: int, measure: Measure = "bytes", ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit``, else its first part cut to leave room for
    ``ellipsis``, which then ends it."""
    size = measure_of(measure)
    if size(text) <= limit:
        return text
    parts = split_text(text, max(limit - size(ellipsis), 8), measure)
    return (parts[0] if parts else "") + ellipsis


def _atoms(text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    fence = ""
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\n")
        if _FENCE_LINE.match(bare.strip()):
            opening = not fence
            fence = bare.strip() if opening else fence
            atoms.append(_Atom(bare.strip(), fence))
            if line.endswith("\n"):
                atoms.append(_Atom("\n", fence if opening else ""))
            fence = fence if opening else ""
            continue
        if fence:  # inside a code block: no inline markdown, cut between characters
            atoms.extend(_Atom(char, fence) for char in line)
        else:
            atoms.extend(_Atom(match.group(0), "") for match in _ATOM.finditer(line))
    _rank(atoms)
    return atoms


def _rank(atoms: list[_Atom]) -> None:
    for index, atom in enumerate(atoms):
        if atom.text == "\n":
            following = atoms[index + 1].text if index + 1 < len(atoms) else ""
            atom.rank = _PARAGRAPH if following == "\n" else _LINE
        elif atom.text.isspace() or atom.text in _SENTENCE_END:
            atom.rank = _SPACE


def _cut(atoms: list[_Atom], start: int, limit: int, size: Callable[[str], int]) -> int:
    """Where the part that begins at ``start`` ends (exclusive): the best place to cut
    within ``limit``, keeping room to close a code block cut open."""
    closing = size(f"\n{FENCE}")
    used, end = 0, start
    best: dict[int, int] = {}
    while end < len(atoms):
        cost = size(atoms[end].text)
        room = limit - (closing if atoms[end].fence else 0)
        if used + cost > room:
            break
        used += cost
        end += 1
        best[atoms[end - 1].rank] = end
    if end == len(atoms):
        return end
    if end == start:  # one construct is longer than the limit: cut it between characters
        return _split_atom(atoms, start, limit, size)
    floor = start + (end - start) // 2  # a cut in the first half wastes too much room
    for rank in (_PARAGRAPH, _LINE, _SPACE):
        if best.get(rank, 0) > floor:
            return best[rank]
    return end


def _split_atom(atoms: list[_Atom], index: int, limit: int, size: Callable[[str], int]) -> int:
    atom = atoms[index]
    pieces = [_Atom(char, atom.fence) for char in atom.text]
    atoms[index : index + 1] = pieces
    used, end = 0, index
    while end < len(atoms) and used + size(atoms[end].text) <= limit:
        used += size(atoms[end].text)
        end += 1
    return max(end, index + 1)


def _skip_breaks(atoms: list[_Atom], index: int) -> int:
    """Past the line breaks and spaces a cut leaves at the start of the next part."""
    while index < len(atoms) and atoms[index].text.isspace() and not atoms[index].fence:
        index += 1
    return index
