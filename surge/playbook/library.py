"""The playbooks folder: every file loaded, checked, and found by id."""

from __future__ import annotations

from pathlib import Path

from surge.actions import ActionRegistry
from surge.playbook.messages import suggestion, unknown
from surge.playbook.model import Playbook, Step
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
        library = cls(playbooks)
        problems.extend(library.references(actions))
        return library, problems

    def references(
        self, actions: ActionRegistry, playbooks: list[Playbook] | None = None
    ) -> list[YamlProblem]:
        """Steps that name another playbook (``playbook.trigger``) and the params they give
        it, checked against this library: an unknown id, an unknown or missing param."""
        problems: list[YamlProblem] = []
        for playbook in self.all() if playbooks is None else playbooks:
            for step in (*playbook.steps, *playbook.on_resolve):
                spec = actions.get(step.action)
                if spec is not None and spec.playbook_arg:
                    problems.extend(self._reference(playbook, step, spec.playbook_arg))
        return problems

    def _reference(self, playbook: Playbook, step: Step, arg: str) -> list[YamlProblem]:
        name = step.with_.get(arg)
        if not isinstance(name, str) or "{" in name:
            return []  # a template: checked when the step runs
        where = step.with_pos.get(arg) or step.pos or Pos(playbook.source, 1, 1)
        if name == playbook.id:
            return [YamlProblem(where, f"playbook {name!r} cannot start itself")]
        target = self.get(name)
        if target is None:
            return [YamlProblem(where, unknown("playbook", name, list(self._playbooks)))]
        given = step.with_.get("params")
        if not isinstance(given, dict):
            return []
        problems = [
            YamlProblem(
                step.with_pos.get(f"params.{key}", where),
                f"playbook {name!r} has no param {key!r}" + suggestion(key, list(target.params)),
            )
            for key in given
            if key not in target.params
        ]
        missing = [
            key
            for key, param in target.params.items()
            if param.required and param.default is None and key not in given
        ]
        if missing:
            where = step.with_pos.get("params", where)
            problems.append(
                YamlProblem(where, f"playbook {name!r} needs param(s) {', '.join(missing)}")
            )
        return problems

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
    playbook, problems = _load_file(path, actions, templates)
    if playbook is not None and _names_playbooks(playbook, actions):
        # the playbooks it starts are looked for beside it
        beside = PlaybookLibrary.load(path.parent, actions, templates)[0].all()
        known = PlaybookLibrary({**{other.id: other for other in beside}, playbook.id: playbook})
        problems.extend(known.references(actions, [playbook]))
    return problems


def _names_playbooks(playbook: Playbook, actions: ActionRegistry) -> bool:
    steps = (*playbook.steps, *playbook.on_resolve)
    specs = (actions.get(step.action) for step in steps)
    return any(spec is not None and spec.playbook_arg for spec in specs)


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
