"""The source tree itself: no half-resolved merge is ever committed."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "var", "build", "dist", "node_modules"}
TEXT = {".py", ".md", ".yaml", ".yml", ".toml", ".sql", ".txt", ".html", ".j2", ".js", ".css"}
MARKERS = ("<<<<<<< ", ">>>>>>> ", "<<<<<<<\n", ">>>>>>>\n")


def _text_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIP or any(part.startswith(".") and part != ".ci" for part in parts):
            continue
        if path.is_file() and (path.suffix in TEXT or path.parent.name in ("scripts", ".ci")):
            found.append(path)
    return found


def test_no_file_holds_a_merge_conflict_marker() -> None:
    conflicted = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _text_files()
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(True), 1
        )
        if line.startswith(MARKERS)
    ]
    assert conflicted == []


def test_the_walk_finds_the_tree() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in _text_files()}
    assert {"README.md", "pyproject.toml", "surge/__init__.py", "scripts/test"} <= names
