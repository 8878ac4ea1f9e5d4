"""``surge rota who``, ``surge staffing``, ``GET /api/v1/rota/oncall`` and ``surge validate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from surge.cli import main
from surge.config import TokenEntry, parse_config
from surge.web.app import create_app
from surge.web.auth import hash_token

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "playbooks").mkdir()
    path = tmp_path / "surge.yaml"
    path.write_text(
        f"store: sqlite:///{tmp_path}/s.db\nplaybooks: {tmp_path}/playbooks\n"
        f"rota: {ROOT}/config/rota.yaml\n",
        encoding="utf-8",
    )
    return path


def test_rota_who_prints_a_table_and_json(capsys, config_file) -> None:
    code, out, _ = run(
        capsys, "rota", "who", "--at", "2026-03-03T09:00", "--team", "customer-service",
        "--config", str(config_file),
    )  # fmt: skip
    assert code == 0
    assert "on shift at 2026-03-03T09:00:00+08:00 Asia/Shanghai (customer-service)" in out
    assert "wang-fang" in out and "swapped with li-wei" in out
    assert "standby free: zhou-yan, sun-li, zhao-lei" in out
    code, out, _ = run(
        capsys, "rota", "who", "--at", "2026-03-03T01:00Z", "--team", "customer-service",
        "--json", "--config", str(config_file),
    )  # fmt: skip
    data = json.loads(out)
    assert [(e["person"], e["shift"]) for e in data["oncall"]] == [("wang-fang", "early")]
    assert data["leads"] == ["zhang-min"]


def test_rota_who_refuses_bad_input_with_exit_code_2(capsys, config_file) -> None:
    code, _, err = run(capsys, "rota", "who", "--at", "tomorrow", "--config", str(config_file))
    assert code == 2 and "is not an ISO 8601 time" in err
    code, _, err = run(capsys, "rota", "who", "--team", "ops", "--config", str(config_file))
    assert code == 2 and "no team 'ops' in the rota (known: customer-service, it-operations" in err


def test_staffing_prints_levels_around_the_answer(capsys) -> None:
    code, out, _ = run(
        capsys, "staffing", "--rate", "600/h", "--aht", "240s", "--target", "80/30s",
        "--shrinkage", "0.3",
    )  # fmt: skip
    assert code == 0
    assert "traffic 40.00 erlangs" in out
    assert "45 <" in out and "81.8%" in out
    assert "needed: 45 agents on the phones" in out
    assert "with 30% shrinkage: schedule 65" in out
    code, out, _ = run(
        capsys, "staffing", "--rate", "600/h", "--aht", "240s", "--target", "80/30s",
        "--patience", "60s", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert data["model"] == "erlang-a" and data["needed"] == 37
    assert {"agents", "service_level", "asa", "abandoned"} <= set(data["levels"][0])
    code, _, err = run(capsys, "staffing", "--rate", "lots", "--aht", "4m", "--target", "80/20s")
    assert code == 2 and "is not a rate" in err


def test_validate_reports_rota_problems_with_positions(capsys, tmp_path) -> None:
    rota = tmp_path / "rota.yaml"
    rota.write_text(
        "timezone: Asia/Shangai\npeople:\n  a: {name: A, rest_days: [funday]}\n"
        "shifts: {early: '08:00-25:00'}\nstandby: [a, zed]\n"
        "escalation:\n  p: {levels: [{page: [{on_shift: ops}], wait: soon}]}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", str(rota))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 6  # every problem, in file order
    assert lines == sorted(lines, key=lambda line: [int(n) for n in line.split(":")[1:3]])
    assert any(
        line.startswith(
            f"{rota}:1:11: timezone: unknown time zone 'Asia/Shangai'; "
            "did you mean 'Asia/Shanghai'?"
        )
        for line in lines
    )
    assert any(
        line.startswith(f"{rota}:3:27: people.a.rest_days: unknown day 'funday'") for line in lines
    )
    assert any(line.startswith(f"{rota}:4:17: shifts.early must be HH:MM-HH:MM") for line in lines)
    assert f"{rota}:5:14: each entry of standby: no person 'zed' in people (known: a)" in lines
    assert any(
        line.startswith(f"{rota}:7:35: escalation.p.levels[0].page.on_shift: no team 'ops'")
        for line in lines
    )
    assert any(line.startswith(f"{rota}:7:48: escalation.p.levels[0].wait:") for line in lines)


def test_validate_checks_page_steps_and_pagers_against_the_rota(capsys, tmp_path) -> None:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "p.yaml").write_text(
        "id: p\ntitle: P\nsteps:\n  - {id: page, action: page, with: {policy: nobody}}\n",
        encoding="utf-8",
    )
    config = tmp_path / "surge.yaml"
    config.write_text(
        f"playbooks: {tmp_path}/playbooks\nrota: {ROOT}/config/rota.yaml\n"
        "pagers:\n  email: {}\n  sms: {type: carrier-pigeon}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", "--config", str(config))
    assert code == 1
    known = "(known: emergency-group, it-operations, leadership, leads, standby-shift)"
    assert "no escalation policy 'nobody' in" in out and known in out
    assert f"{config}:4:10: pagers.email needs a mail server" in out
    assert f"{config}:5:8: pagers.sms: no pager type 'carrier-pigeon'" in out


async def test_the_oncall_route(aiohttp_client: Any, tmp_path: Path) -> None:
    config = parse_config(
        f"store: sqlite:///{tmp_path}/s.db\nplaybooks: {tmp_path}\nrota: {ROOT}/config/rota.yaml\n",
        "c.yaml",
    )
    config.tokens = (TokenEntry("viewer", "viewer", hash_token("t-view")),)
    client = await aiohttp_client(create_app(config, load_entry_points=False, run_engine=False))
    headers = {"Authorization": "Bearer t-view"}
    answer = await client.get("/api/v1/rota/oncall?at=2026-03-09T17:00Z", headers=headers)
    assert answer.status == 200
    body = await answer.json()
    assert body["local"] == "2026-03-10T01:00:00+08:00"
    assert [(e["person"], e["shift"]) for e in body["oncall"]] == [("zhao-lei", "night")]
    assert body["oncall"][0]["starts_at"] == "2026-03-10T00:00:00+08:00"
    bad = await client.get("/api/v1/rota/oncall?at=soon", headers=headers)
    assert bad.status == 400 and "at: 'soon' is not an ISO 8601 time" in (await bad.json())["error"]
    assert (await client.get("/api/v1/rota/oncall?team=x", headers=headers)).status == 400
    assert (await client.get("/api/v1/rota/oncall")).status == 401
