"""The scripts folder, the ``scripts:`` config section, and the runtime that loads them."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
from scripts.conftest import SAMPLE

from surge.config import DEFAULT_SCRIPTS, Config, ConfigError, ScriptSettings, parse_config
from surge.runtime import build_runtime
from surge.scripts.library import ScriptLibrary, validate_path
from surge.templating import Templates


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_library_loads_good_files_and_reports_bad_ones(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SAMPLE)
    write(tmp_path, "b.yml", "id: other\ntitle: Other\nlocales: {en: Hi.}\n")
    write(tmp_path, "c.yaml", "id: notice\ntitle: Again\nlocales: {en: Hi.}\n")
    write(tmp_path, "d.yaml", "id: broken\ntitle: B\nlocales: {fr: Salut.}\n")
    write(tmp_path, "notes.txt", "not a script")
    library, problems = ScriptLibrary.load(tmp_path, Templates())
    assert [script.id for script in library.all()] == ["notice", "other"]
    assert len(library) == 2
    assert "notice" in library
    assert library.get("missing") is None
    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'c.yaml'}:1:5: script id 'notice' is already used by {tmp_path / 'a.yaml'}",
        f"{tmp_path / 'd.yaml'}:3:11: unknown locale 'fr'; known: zh-CN, zh-TW, en",
    ]


def test_validate_path(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "id: x\n")
    assert [problem.message for problem in validate_path(bad, Templates())] == [
        "script is missing required key 'title'",
        "script is missing required key 'locales'",
    ]
    assert len(validate_path(tmp_path, Templates())) == 2
    [missing] = validate_path(tmp_path / "nope.yaml", Templates())
    assert missing.message == "no such file or folder"
    [folder] = ScriptLibrary.load(tmp_path / "nope", Templates())[1]
    assert folder.message == "no such script folder"


def test_the_scripts_config_section() -> None:
    assert Config().scripts == ScriptSettings(DEFAULT_SCRIPTS, two_person_rule=False)
    config = parse_config("scripts: {folder: /srv/scripts, two_person_rule: true}\n", "c.yaml")
    assert config.scripts == ScriptSettings(Path("/srv/scripts"), two_person_rule=True)
    assert "scripts" not in config.reserved
    with pytest.raises(ConfigError) as caught:
        parse_config("scripts: {folder: 3.5.1, two_person_rule: maybe, extra: 1}\n", "c.yaml")
    assert [str(problem) for problem in caught.value.problems] == [
        "c.yaml:1:50: unknown key 'extra' in scripts; expected one of: folder, two_person_rule",
        "c.yaml:1:43: scripts.two_person_rule must be true or false, got the string 'maybe'",
    ]


def test_the_runtime_loads_the_scripts(config: Config, tmp_path: Path) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    write(folder, "a.yaml", SAMPLE)
    write(folder, "b.yaml", "id: b\n")
    runtime = build_runtime(
        dataclasses.replace(config, scripts=ScriptSettings(folder)), load_entry_points=False
    )
    assert [script.id for script in runtime.scripts.all()] == ["notice"]
    assert [problem.pos.file for problem in runtime.problems] == [str(folder / "b.yaml")] * 2


def test_a_missing_folder_is_a_problem_only_when_configured(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no config/scripts here
    assert build_runtime(config, load_entry_points=False).problems == []
    configured = dataclasses.replace(config, scripts=ScriptSettings(tmp_path / "nope"))
    [problem] = build_runtime(configured, load_entry_points=False).problems
    assert problem.message == "no such script folder"
