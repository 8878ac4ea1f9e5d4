"""The scripts folder: every file loaded, checked, and found by id."""

from __future__ import annotations

from pathlib import Path

from surge.scripts.model import Script
from surge.scripts.parse import load_script
from surge.templating import Templates
from surge.yamlpos import Pos, YamlProblem

SCRIPT_SUFFIXES = (".yaml", ".yml")


class ScriptLibrary:
    """The scripts that loaded without problems, by id."""

    def __init__(self, scripts: dict[str, Script] | None = None) -> None:
        self._scripts = dict(scripts or {})

    @classmethod
    def load(cls, folder: Path, templates: Templates) -> tuple[ScriptLibrary, list[YamlProblem]]:
        """Every ``*.yaml`` and ``*.yml`` file in ``folder`` (not below it), in name order.

        A file with problems is left out; its problems are returned with the others.
        """
        if not folder.is_dir():
            return cls(), [YamlProblem(Pos(str(folder), 1, 1), "no such script folder")]
        scripts: dict[str, Script] = {}
        problems: list[YamlProblem] = []
        for path in _script_files(folder):
            script, found = _load_file(path, templates)
            problems.extend(found)
            if script is None:
                continue
            if script.id in scripts:
                message = f"script id {script.id!r} is already used by {scripts[script.id].source}"
                problems.append(YamlProblem(script.pos or Pos(str(path), 1, 1), message))
                continue
            scripts[script.id] = script
        return cls(scripts), problems

    def get(self, script_id: str) -> Script | None:
        return self._scripts.get(script_id)

    def all(self) -> list[Script]:
        """Every script, ordered by id."""
        return [self._scripts[key] for key in sorted(self._scripts)]

    def __len__(self) -> int:
        return len(self._scripts)

    def __contains__(self, script_id: object) -> bool:
        return script_id in self._scripts


def validate_path(path: Path, templates: Templates) -> list[YamlProblem]:
    """Every problem in one script file, or in every script of a folder."""
    if path.is_dir():
        return ScriptLibrary.load(path, templates)[1]
    if not path.exists():
        return [YamlProblem(Pos(str(path), 1, 1), "no such file or folder")]
    return _load_file(path, templates)[1]


def _script_files(folder: Path) -> list[Path]:
    found = (path for path in folder.iterdir() if path.suffix in SCRIPT_SUFFIXES)
    return sorted(path for path in found if path.is_file())


def _load_file(path: Path, templates: Templates) -> tuple[Script | None, list[YamlProblem]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [YamlProblem(Pos(str(path), 1, 1), f"cannot read: {error.strerror or error}")]
    return load_script(data, str(path), templates)
