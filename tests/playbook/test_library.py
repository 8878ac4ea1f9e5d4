"""The playbooks folder: loading every file, duplicate ids, and validating a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.actions import ActionRegistry
from surge.playbook import PlaybookLibrary, validate_path
from surge.templating import Templates
from surge.yamlpos import Pos


def playbook_text(playbook_id: str, message: str = "hi") -> str:
    step = f"{{action: log, with: {{message: {message}}}}}"
    return f"# {playbook_id}\nid: {playbook_id}\ntitle: T\nsteps: [{step}]\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "playbooks"
    path.mkdir()
    return path


def test_loads_every_yaml_file(folder: Path, actions: ActionRegistry, templates: Templates) -> None:
    (folder / "b.yaml").write_text(playbook_text("beta"))
    (folder / "a.yml").write_text(playbook_text("alpha"))
    (folder / "notes.txt").write_text("not a playbook")
    (folder / "sub").mkdir()
    (folder / "sub" / "c.yaml").write_text(playbook_text("gamma"))
    library, problems = PlaybookLibrary.load(folder, actions, templates)
    assert problems == []
    assert len(library) == 2
    assert [playbook.id for playbook in library.all()] == ["alpha", "beta"]
    beta = library.get("beta")
    assert beta is not None
    assert beta.source == str(folder / "b.yaml")
    assert library.get("gamma") is None
    assert "alpha" in library


def test_a_broken_file_is_left_out_and_reported(
    folder: Path, actions: ActionRegistry, templates: Templates
) -> None:
    (folder / "good.yaml").write_text(playbook_text("good"))
    (folder / "bad.yaml").write_text("id: bad\ntitle: T\nsteps: [{action: lgo}]\n")
    library, problems = PlaybookLibrary.load(folder, actions, templates)
    assert [playbook.id for playbook in library.all()] == ["good"]
    assert [str(problem) for problem in problems] == [
        f"{folder / 'bad.yaml'}:3:18: unknown action 'lgo'; did you mean 'log'?"
    ]


def test_duplicate_ids_are_reported_at_the_second_file(
    folder: Path, actions: ActionRegistry, templates: Templates
) -> None:
    (folder / "one.yaml").write_text(playbook_text("same", "first"))
    (folder / "two.yaml").write_text(playbook_text("same", "second"))
    library, problems = PlaybookLibrary.load(folder, actions, templates)
    assert len(library) == 1
    kept = library.get("same")
    assert kept is not None
    assert kept.steps[0].with_ == {"message": "first"}
    assert len(problems) == 1
    assert problems[0].pos == Pos(str(folder / "two.yaml"), 2, 5)
    assert problems[0].message == f"playbook id 'same' is already used by {folder / 'one.yaml'}"


def test_a_missing_folder_is_a_problem(
    tmp_path: Path, actions: ActionRegistry, templates: Templates
) -> None:
    missing = tmp_path / "nowhere"
    library, problems = PlaybookLibrary.load(missing, actions, templates)
    assert len(library) == 0
    assert problems[0].pos == Pos(str(missing), 1, 1)
    assert validate_path(missing, actions, templates)[0].pos == Pos(str(missing), 1, 1)


def test_validate_path_takes_a_file_or_a_folder(
    folder: Path, actions: ActionRegistry, templates: Templates
) -> None:
    good = folder / "good.yaml"
    good.write_text(playbook_text("good"))
    assert validate_path(good, actions, templates) == []
    assert validate_path(folder, actions, templates) == []
    bad = folder / "bad.yaml"
    bad.write_bytes(b"id: bad\ntitle: \xff\n")
    assert [problem.message for problem in validate_path(bad, actions, templates)] == [
        "not UTF-8 text (invalid start byte)"
    ]
    assert len(validate_path(folder, actions, templates)) == 1


def test_an_empty_library() -> None:
    library = PlaybookLibrary()
    assert (len(library), library.all(), library.get("x")) == (0, [], None)


CHAINING = """\
id: outage
title: T
params: {{x: {{type: string, default: complaints}}}}
steps:
  - id: chain
    action: playbook.trigger
    with:
      playbook: {target}
      params: {{topic: x, chanel: web}}
  - id: templated
    action: playbook.trigger
    with: {{playbook: "{{{{ params.x }}}}"}}
"""
TARGET = "id: complaints\ntitle: T\nparams:\n  topic: {type: string, required: true}\n" + (
    "  channel: {type: string, default: ''}\n  who: {type: string, required: true}\n"
    "steps: [{action: log, with: {message: hi}}]\n"
)


def test_a_started_playbook_is_checked_against_the_folder(
    folder: Path, actions: ActionRegistry, templates: Templates
) -> None:
    outage = folder / "outage.yaml"
    outage.write_text(CHAINING.format(target="complaint"))
    (folder / "complaints.yaml").write_text(TARGET)
    expected = [
        f"{outage}:8:17: unknown playbook 'complaint'; did you mean 'complaints'?",
    ]
    assert [str(p) for p in PlaybookLibrary.load(folder, actions, templates)[1]] == expected
    assert [str(p) for p in validate_path(outage, actions, templates)] == expected
    outage.write_text(CHAINING.format(target="complaints"))
    assert [str(p) for p in validate_path(outage, actions, templates)] == [
        f"{outage}:9:26: playbook 'complaints' has no param 'chanel'; did you mean 'channel'?",
        f"{outage}:9:15: playbook 'complaints' needs param(s) who",
    ]
    outage.write_text(CHAINING.format(target="outage"))
    assert [str(p) for p in validate_path(outage, actions, templates)] == [
        f"{outage}:8:17: playbook 'outage' cannot start itself"
    ]
