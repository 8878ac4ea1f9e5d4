"""``surge scripts list|check`` and ``surge validate`` over the scripts folder."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cli.helpers import Result, write_config
from scripts.conftest import SAMPLE

from surge.cli import main
from surge.cli.render import err, out

Run = Callable[..., Result]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "notice.yaml").write_text(textwrap.dedent(SAMPLE), encoding="utf-8")
    return scripts


@pytest.fixture
def run(
    tmp_path: Path,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    config = write_config(tmp_path)
    with config.open("a", encoding="utf-8") as file:
        file.write(f"scripts: {{folder: {folder}}}\n")
    monkeypatch.setattr(out, "width", 200)
    monkeypatch.setattr(err, "width", 200)
    for name in ("SURGE_SERVER", "SURGE_TOKEN", "SURGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)

    def surge(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main([*args, "--config", str(config)])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return surge


def test_list(run: Run) -> None:
    result = run("scripts", "list")
    assert result.code == 0
    assert "notice" in result.out and "Sample notice" in result.out
    assert "zh-CN, zh-TW, en" in result.out and "service*, eta*, minutes, note" in result.out
    listed = run("scripts", "list", "--json").json()
    [script] = listed["scripts"]
    assert script["id"] == "notice"
    assert script["rules"] == 9
    assert script["content_hash"][:12] in result.out
    assert listed["problems"] == []


def test_check_passes(run: Run) -> None:
    result = run("scripts", "check", "notice", "--text", "服务已恢复", "--locale", "zh-CN")
    assert (result.code, result.out.strip()) == (0, "pass: the text keeps to script notice")


def test_check_marks_each_violation_and_gives_the_wording(run: Run) -> None:
    result = run(
        "scripts", "check", "notice", "--text", "我们保證，退款 50 元", "--locale", "zh-CN"
    )
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "forbidden: '保證' is a forbidden phrase (rule: 保证)"
    assert lines[1] == "  我们保證，退款 50 元"
    assert lines[2] == "      ^^^^"  # two wide characters after two, under 保證
    assert lines[3].startswith("promise: '退款 50' is an unapproved promise")
    assert lines[-2:] == [
        "use the approved wording instead:",
        "[service]故障，预计[eta]恢复，约30分钟。",
    ]
    assert "2 violation(s) of script notice" in result.err


def test_check_json_and_file(run: Run, tmp_path: Path) -> None:
    reply = tmp_path / "reply.txt"
    reply.write_text("We GUARANTEE it", encoding="utf-8")
    result = run("scripts", "check", "notice", "--file", str(reply), "--json", "--locale", "en")
    assert result.code == 1
    body = result.json()
    assert body["pass"] is False
    [violation] = body["violations"]
    assert (violation["rule"], violation["start"], violation["end"]) == ("forbidden", 3, 12)
    assert body["instead"].startswith("[service] is down;")
    assert json.loads(result.out) == body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "--text", "x"), "no script 'nope' (known: notice)"),
        (("notice", "--file", "/does/not/exist"), "cannot read /does/not/exist"),
        (("notice", "--text", "x" * 10_001), "at most 10000 are checked"),
    ],
)
def test_check_usage_errors(run: Run, args: tuple[str, ...], message: str) -> None:
    result = run("scripts", "check", *args)
    assert result.code == 2
    assert message in result.err


def test_check_needs_exactly_one_of_text_and_file(run: Run) -> None:
    assert run("scripts", "check", "notice").code == 2
    assert run("scripts", "check", "notice", "--text", "a", "--file", "b").code == 2
    assert run("scripts", "check", "notice", "--text", "a", "--locale", "fr").code == 2


def test_validate_covers_the_scripts_folder(run: Run, folder: Path) -> None:
    result = run("validate")
    assert result.code == 0, result.out + result.err
    assert str(folder) in result.out
    bad = folder / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nlocales: {en: '{{ x }}'}\n", encoding="utf-8")
    result = run("validate")
    assert result.code == 1
    assert f"{bad}:3:15: the en wording uses {{{{ x }}}}, which is not a declared var" in result.out
    one = run("validate", str(bad))
    assert one.code == 1 and "which is not a declared var" in one.out
