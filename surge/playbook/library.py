"""The playbooks folder: every file loaded, checked, and found by id."""

from __future__ import annotations

from pathlib import Path

from surge.actions import ActionRegistry
from surge.playbook.model import Playbook
from surge.playbook.parse import load_playbook
from surge.templating import Templates
from surge.yamlpos import Pos, YamlProblem, YNode, load

PLAYBOOK_SUFFIXES = (".yaml", ".yml")


class PlaybookLibrary:
    """The playbooks that loaded without problems, by id."""

    def __init__(self, playbooks: dict[str, Playbook] | None = None) -> None:
        self._playbooks = dict(playbooks or {})

    @classmethod
    def load(
        cls, folder: Path, actions: ActionRegistry, templates: Templates
    ) -> tuple[PlaybookLibrary, list[YamlProblem]]:
        """Every ``*.yaml`` and ``*.yml`` file in ``folder`` (not below it), in name order.

        A file with problems is left out; its problems are returned with the others.
        """
        if not folder.is_dir():
            return cls(), [YamlProblem(Pos(str(folder), 1, 1), "no such playbook folder")]
        playbooks: dict[str, Playbook] = {}
        problems: list[YamlProblem] = []
        for path in _playbook_files(folder):
            playbook, found = _load_file(path, actions, templates)
            problems.extend(found)
            if playbook is None:
                continue
            if playbook.id in playbooks:
                first = playbooks[playbook.id].source
                message = f"playbook id {playbook.id!r} is already used by {first}"
                problems.append(YamlProblem(_id_pos(path), message))
                continue
            playbooks[playbook.id] = playbook
        return cls(playbooks), problems

    def get(self, playbook_id: str) -> Playbook | None:
        return self._playbooks.get(playbook_id)

    def all(self) -> list[Playbook]:
        """Every playbook, ordered by id."""
        return [self._playbooks[key] for key in sorted(self._playbooks)]

    def __len__(self) -> int:
        return len(self._playbooks)

    def __contains__(self, playbook_id: object) -> bool:
        return playbook_id in self._playbooks


def validate_path(path: Path, actions: ActionRegistry, templates: Templates) -> list[YamlProblem]:
    """Every problem in one playbook file, or in every playbook of a folder."""
    if path.is_dir():
        return PlaybookLibrary.load(path, actions, templates)[1]
    if not path.exists():
        return [YamlProblem(Pos(str(path), 1, 1), "no such file or folder")]
    return _load_file(path, actions, templates)[1]


def _playbook_files(folder: Path) -> list[Path]:
    found = (path for path in folder.iterdir() if path.suffix in PLAYBOOK_SUFFIXES)
    return sorted(path for path in found if path.is_file())


def _load_file(
    path: Path, actions: ActionRegistry, templates: Templates
) -> tuple[Playbook | None, list[YamlProblem]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [YamlProblem(Pos(str(path), 1, 1), f"cannot read: {error.strerror or error}")]
    return load_playbook(data, str(path), actions, templates)


def _id_pos(path: Path) -> Pos:
    # Only needed for a duplicate, so the file is read again rather than every
    # playbook carrying the position of its id.
    try:
        root, _ = load(path.read_bytes(), str(path))
    except OSError:
        return Pos(str(path), 1, 1)
    node = root.value.get("id") if root is not None and root.is_map else None
    if isinstance(node, YNode):
        return node.pos
    return Pos(str(path), 1, 1)
