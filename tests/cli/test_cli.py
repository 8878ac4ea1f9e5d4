"""The ``surge`` command line, run in-process, on the store directly and against a server.

``surge.cli.main`` runs ``asyncio.run`` itself, so these tests are plain functions.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from cli.helpers import Cli, Result, Server, free_port

from surge.cli import main
from surge.cli.render import out

BROKEN = """\
id: broken
title: Broken
steps:
  - id: one
    action: no.such.action
  - id: one
    action: log
    with: {message: "{{ params.missing }}"}
"""


def opened_id(result: Result) -> int:
    found = re.search(r"^incident (\d+) opened: ", result.out, re.MULTILINE)
    assert found, result
    return int(found.group(1))


def trigger(cli: Cli, *params: str, playbook: str = "example", **options: Any) -> int:
    args = [arg for param in params for arg in ("--param", param)]
    result = cli("trigger", playbook, *args, "--json", **options)
    assert result.code == 0, result
    incident: dict[str, Any] = result.json()
    return int(incident["id"])


# -- validate --


def test_validate_a_good_config_and_its_playbooks(cli: Cli, cli_config: Path) -> None:
    result = cli("validate")
    assert result.code == 0, result
    assert "no problems" in result.out
    assert str(cli_config) in result.out


def test_validate_lists_every_problem_with_its_position(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    monkeypatch.setattr(out, "width", 40)  # narrower than the messages: still one line each
    result = cli("validate", str(broken))
    assert result.code == 1, result
    lines = result.out.splitlines()
    assert len(lines) == 3, result.out
    positions = []
    for line in lines:
        found = re.fullmatch(rf"{re.escape(str(broken))}:(\d+):(\d+): (.+)", line)
        assert found, line
        positions.append((int(found.group(1)), int(found.group(2))))
    assert positions == [(5, 13), (6, 9), (8, 21)]
    assert "unknown action 'no.such.action'" in lines[0]
    assert "duplicate step id 'one'" in lines[1]
    assert "unknown param 'missing'" in lines[2]
    assert "3 problem(s)" in result.err


def test_validate_json(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = cli("validate", str(broken), "--json")
    assert result.code == 1
    body = result.json()
    assert body["ok"] is False
    assert body["checked"] == [str(broken)]
    assert [problem.split(": ", 1)[0] for problem in body["problems"]] == [
        f"{broken}:5:13",
        f"{broken}:6:9",
        f"{broken}:8:21",
    ]
    good = cli("validate", "--json")
    assert good.code == 0
    assert good.json()["ok"] is True and good.json()["problems"] == []


def test_validate_reports_a_broken_config(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("store: mysql://nope\nlisten: [1]\n", encoding="utf-8")
    result = cli("validate", config=config)
    assert result.code == 1
    assert re.search(rf"^{re.escape(str(config))}:1:8: store must be", result.out, re.MULTILINE)
    assert re.search(rf"^{re.escape(str(config))}:2:9: ", result.out, re.MULTILINE)


# -- playbooks and triggering, on the store directly --


def test_list(cli: Cli) -> None:
    result = cli("list")
    assert result.code == 0, result
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert set(rows) == {"example", "hold"}
    assert "Example response" in rows["example"] and "reason*" in rows["example"]
    assert "count" in rows["example"] and "count*" not in rows["example"]
    listed = cli("list", "--json").json()
    assert sorted(item["id"] for item in listed["playbooks"]) == ["example", "hold"]
    assert listed["problems"] == []


def test_trigger_prints_the_incident_id(cli: Cli) -> None:
    result = cli("trigger", "example", "--param", "reason=disk full", "-p", "count=3")
    assert result.code == 0, result
    assert opened_id(result) == 1
    assert "surge show 1 --follow" in result.out
    assert "no surge server is running" in result.err  # nothing runs the steps yet
    shown = cli("show", "1", "--json").json()
    assert shown["params"] == {"reason": "disk full", "count": 3}
    assert shown["trigger"] == "cli"
    assert shown["triggered_by"].startswith("cli")


def test_trigger_json(cli: Cli) -> None:
    result = cli("trigger", "example", "--param", "reason=a=b", "--json")
    assert result.code == 0, result
    incident = result.json()
    assert incident["id"] == 1
    assert incident["playbook"] == "example"
    assert incident["status"] == "triggered"
    assert incident["params"] == {"reason": "a=b", "count": 1}


def test_trigger_an_unknown_playbook_is_a_usage_error(cli: Cli) -> None:
    result = cli("trigger", "nope", "--param", "reason=x")
    assert result.code == 2
    assert "no playbook 'nope'" in result.err
    assert "known: example, hold" in result.err
    assert cli("incidents", "--json").json() == []


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        (["colour=red"], ["unknown param 'colour'", "param 'reason' is required"]),
        (["reason=x", "count=many"], ["param 'count': expected a whole number"]),
        (["reason=x", "count=0"], ["param 'count': must be at least 1"]),
        (["novalue"], ["--param takes KEY=VALUE"]),
        (["=x"], ["--param takes KEY=VALUE"]),
    ],
)
def test_trigger_with_bad_params_is_a_usage_error(
    cli: Cli, params: list[str], problems: list[str]
) -> None:
    args = [arg for param in params for arg in ("--param", param)]
    result = cli("trigger", "example", *args)
    assert result.code == 2, result
    for problem in problems:
        assert problem in result.err
    assert cli("incidents", "--json").json() == []


# -- incidents, show, status changes --


def test_incidents_table_and_filters(cli: Cli) -> None:
    assert cli("incidents").out.strip() == "no incidents"
    first = trigger(cli, "reason=one")
    second = trigger(cli, "reason=two")
    held = trigger(cli, playbook="hold")
    assert cli("ack", str(second)).code == 0
    assert cli("resolve", str(first)).code == 0

    table = cli("incidents")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "PLAYBOOK", "SEVERITY", "OPENED", "BY", "TITLE"]
    assert [line.split()[:3] for line in lines[1:]] == [
        [str(held), "triggered", "hold"],
        [str(second), "acknowledged", "example"],
        [str(first), "resolved", "example"],
    ]

    def ids(*args: str) -> list[int]:
        result = cli("incidents", "--json", *args)
        assert result.code == 0, result
        return [item["id"] for item in result.json()]

    assert ids() == [held, second, first]
    assert ids("--open") == [held, second]
    assert ids("--status", "acknowledged") == [second]
    assert ids("--status", "resolved", "--status", "triggered") == [held, first]
    assert ids("--playbook", "hold") == [held]
    assert ids("--playbook", "example", "--open") == [second]
    assert ids("--limit", "1") == [held]
    assert cli("incidents", "--status", "cancelled").out.strip() == "no incidents matching"


def test_show(cli: Cli) -> None:
    incident = trigger(cli, "reason=shown")
    result = cli("show", str(incident))
    assert result.code == 0, result
    assert f"incident {incident}: Example response" in result.out
    assert "triggered" in result.out and "playbook example" in result.out
    assert 'params: {"reason": "shown", "count": 1}' in result.out
    assert re.search(r"^announce\s+log\s+1\s+pending", result.out, re.MULTILINE)
    assert "Timeline" in result.out
    assert "Example response: triggered (cli)" in result.out

    body = cli("show", str(incident), "--json").json()
    assert body["id"] == incident
    assert [(step["step"], step["status"]) for step in body["steps"]] == [("announce", "pending")]
    assert [entry["kind"] for entry in body["timeline"]] == ["incident.opened"]


def test_show_an_unknown_incident_fails(cli: Cli) -> None:
    result = cli("show", "99")
    assert result.code == 1
    assert "no incident 99" in result.err


def test_ack_resolve_cancel(cli: Cli) -> None:
    first = trigger(cli, "reason=x")
    second = trigger(cli, "reason=y")

    acked = cli("ack", str(first), "--note", "on it")
    assert acked.code == 0, acked
    assert acked.out.strip() == f"incident {first} is now acknowledged"
    again = cli("ack", str(first))
    assert again.code == 1
    assert f"incident {first} is acknowledged; it cannot be set to acknowledged" in again.err

    resolved = cli("resolve", str(first), "--json")
    assert resolved.code == 0
    assert resolved.json()["status"] == "resolved"
    assert cli("cancel", str(first)).code == 1
    assert cli("resolve", str(first)).code == 1

    cancelled = cli("cancel", str(second), "-m", "false alarm")
    assert cancelled.code == 0
    assert cancelled.out.strip() == f"incident {second} is now cancelled"
    assert cli("ack", str(second)).code == 1

    missing = cli("ack", "404")
    assert missing.code == 1
    assert "no incident 404" in missing.err

    timeline = cli("show", str(first), "--json").json()["timeline"]
    notes = [entry["message"] for entry in timeline if entry["kind"] == "status"]
    assert notes[0].startswith("acknowledged by cli") and notes[0].endswith(": on it")
    assert notes[1].startswith("resolved by cli")


# -- plugins and tokens --


def test_plugins(cli: Cli) -> None:
    result = cli("plugins")
    assert result.code == 0
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[1:]}
    for name in (
        "builtin.log",
        "builtin.wait",
        "builtin.set_status",
        "builtin.webhook",
        "builtin.command",
    ):
        assert name in rows, result.out
    assert rows["builtin.log"][-1] == "log"
    assert rows["builtin.wait"][-1] == "wait"
    listed = {row["name"]: row for row in cli("plugins", "--json").json()}
    assert listed["builtin.webhook"]["actions"] == ["webhook"]
    assert listed["builtin.log"]["builtin"] is True
    assert "surge_register_actions" in listed["builtin.log"]["hooks"]


def test_token_create_list_revoke(cli: Cli) -> None:
    created = cli("token", "create", "--role", "responder")
    assert created.code == 0, created
    lines = created.out.splitlines()
    assert lines[0] == "token 'responder-1' (responder), shown only this once:"
    token = lines[1]
    assert re.fullmatch(r"surge_[A-Za-z0-9_-]{40,}", token)

    named = cli("token", "create", "--role", "viewer", "--name", "dashboards", "--json").json()
    assert named["name"] == "dashboards" and named["role"] == "viewer"
    assert named["token"] != token and len(named["sha256"]) == 64
    assert cli("token", "create", "--role", "viewer", "--name", "dashboards").code == 1

    listed = cli("token", "list")
    assert listed.code == 0
    rows = {line.split()[0]: line.split() for line in listed.out.splitlines()[1:]}
    assert rows["responder-1"][:3] == ["responder-1", "responder", "store"]
    assert rows["dashboards"][:3] == ["dashboards", "viewer", "store"]
    assert token not in listed.out and named["token"] not in listed.out
    assert named["sha256"] not in listed.out

    revoked = cli("token", "revoke", "responder-1")
    assert revoked.code == 0
    assert "revoked" in revoked.out
    records = {row["name"]: row for row in cli("token", "list", "--json").json()}
    assert records["responder-1"]["revoked_at"] is not None
    assert records["dashboards"]["revoked_at"] is None
    assert all("token" not in row and "sha256" not in row for row in records.values())
    again = cli("token", "revoke", "responder-1")
    assert again.code == 1
    assert "no active token named 'responder-1'" in again.err


# -- usage errors and broken setups --


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["show"],
        ["show", "abc"],
        ["ack"],
        ["trigger"],
        ["token"],
        ["token", "create"],
        ["token", "create", "--role", "superuser"],
        ["incidents", "--status", "bogus"],
        ["incidents", "--limit", "many"],
        ["list", "--no-such-option"],
    ],
)
def test_usage_errors_exit_2(cli: Cli, argv: list[str]) -> None:
    result = cli(*argv, config=None)
    assert result.code == 2
    assert "usage: surge" in result.err


def test_a_missing_config_fails(cli: Cli, tmp_path: Path) -> None:
    result = cli("list", config=tmp_path / "nowhere.yaml")
    assert result.code == 1
    assert "cannot read the config" in result.err


def test_an_unusable_store_fails_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "dir-store.yaml"
    config.write_text(f"store: sqlite:///{tmp_path}\nplaybooks: {tmp_path}\n", encoding="utf-8")
    for argv in (["list"], ["incidents"], ["token", "list"]):
        result = cli(*argv, config=config)
        assert result.code == 1, result
        assert "cannot open" in result.err
        assert "Traceback" not in result.err


def test_an_unreachable_server_fails(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("incidents", "--server", url, "--token", "x")
    assert result.code == 1
    assert "cannot reach the surge server" in result.err


# -- against a running server --


@pytest.fixture(scope="module")
def admin_token(server: Server) -> str:
    """An admin token made by `surge token create --json` against the server's store."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # capsys is not available at module scope
        code = main(
            ["token", "create", "--role", "admin", "--json", "--config", str(server.config)]
        )
    assert code == 0, printed.getvalue()
    token: str = json.loads(printed.getvalue())["token"]
    return token


def test_server_mode_trigger_wait_ack_resolve(cli: Cli, server: Server, admin_token: str) -> None:
    remote = ("--server", server.url, "--token", admin_token)
    result = cli(
        "trigger",
        "example",
        "--param",
        "reason=over http",
        "--param",
        "count=2",
        "--wait",
        "--timeout",
        "20",
        *remote,
        config=server.config,
    )
    assert result.code == 0, (result, server.output())
    incident = opened_id(result)
    assert f"({'server ' + server.url})" in result.out
    assert "Triggered because: over http" in result.out
    assert "Done after 2" in result.out
    assert f"incident {incident} is triggered; no step left to run" in result.out
    assert "stopped following" not in result.out

    shown = cli("show", str(incident), "--json", *remote, config=server.config).json()
    assert [(step["step"], step["status"]) for step in shown["steps"]] == [
        ("announce", "succeeded"),
        ("pause", "succeeded"),
        ("done", "succeeded"),
    ]
    assert shown["triggered_by"] == "admin-1"

    acked = cli("ack", str(incident), "-m", "looking", *remote, config=server.config)
    assert acked.code == 0, acked
    assert acked.out.strip() == f"incident {incident} is now acknowledged"
    again = cli("ack", str(incident), *remote, config=server.config)
    assert again.code == 1
    assert "cannot be set to acknowledged" in again.err
    resolved = cli("resolve", str(incident), "--json", *remote, config=server.config)
    assert resolved.code == 0
    assert resolved.json()["status"] == "resolved"

    deadline = time.monotonic() + 10
    while True:  # the server runs the on_resolve step
        shown = cli("show", str(incident), "--json", *remote, config=server.config).json()
        closing = [step for step in shown["steps"] if step["phase"] == "on_resolve"]
        if closing and closing[0]["status"] == "succeeded":
            break
        assert time.monotonic() < deadline, shown["steps"]
        time.sleep(0.05)
    listed = cli("incidents", "--json", "--status", "resolved", *remote, config=server.config)
    assert incident in [item["id"] for item in listed.json()]


def test_server_mode_errors(
    cli: Cli, server: Server, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = ("--server", server.url, "--token", admin_token)
    unknown = cli("trigger", "nope", *remote, config=server.config)
    assert unknown.code == 2
    assert "no playbook 'nope'" in unknown.err and "known: example, hold" in unknown.err
    bad = cli("trigger", "example", "--param", "colour=red", *remote, config=server.config)
    assert bad.code == 2
    assert "unknown param 'colour'" in bad.err and "param 'reason' is required" in bad.err
    missing = cli("show", "987654", *remote, config=server.config)
    assert missing.code == 1
    assert "no incident 987654" in missing.err

    wrong = cli("incidents", "--server", server.url, "--token", "surge_wrong", config=server.config)
    assert wrong.code == 1
    assert "unknown or revoked token" in wrong.err and "SURGE_TOKEN" in wrong.err
    none = cli("incidents", "--server", server.url, config=server.config)
    assert none.code == 1
    assert "missing bearer token" in none.err

    monkeypatch.setenv("SURGE_SERVER", server.url)
    monkeypatch.setenv("SURGE_TOKEN", admin_token)
    from_env = cli("list", "--json", config=server.config)
    assert from_env.code == 0, from_env
    assert sorted(item["id"] for item in from_env.json()["playbooks"]) == ["example", "hold"]


def test_direct_mode_wait_follows_the_server_run(cli: Cli, server: Server) -> None:
    result = cli(
        "trigger",
        "example",
        "--param",
        "reason=direct",
        "--wait",
        "--timeout",
        "20",
        config=server.config,
    )
    assert result.code == 0, (result, server.output())
    incident = opened_id(result)
    assert "store sqlite://" in result.out
    assert "no surge server is running" not in result.err  # the server's engine is seen
    assert "Triggered because: direct" in result.out
    assert f"incident {incident} is triggered; no step left to run" in result.out
    assert "stopped following" not in result.out
    shown = cli("show", str(incident), "--json", config=server.config).json()
    assert all(step["status"] == "succeeded" for step in shown["steps"])
    assert len(shown["steps"]) == 3


def test_serve_on_a_taken_port_says_what_to_do(cli: Cli, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--listen", f"127.0.0.1:{port}")
    assert result.code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.err
    assert "pass --listen HOST:PORT" in result.err
    assert "Traceback" not in result.err + result.out


def test_a_broken_plugin_is_named_without_a_traceback(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "site" / "brokenplugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[surge]\nbroken = brokenplugin_module\n")
    (tmp_path / "site" / "brokenplugin_module.py").write_text("raise ImportError('no such sdk')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    result = cli("list")
    assert result.code == 1
    assert "a plugin is broken" in result.err
    assert "broken" in result.err and "no such sdk" in result.err
    assert "Traceback" not in result.err


def test_validate_checks_what_playbooks_need_from_the_config(cli: Cli, cli_config: Path) -> None:
    playbooks = cli_config.parent / "playbooks"
    (playbooks / "needs.yaml").write_text(
        "id: needs\n"
        "title: Needs config\n"
        "triggers:\n"
        "  - metric: {query: up == 0}\n"
        "steps:\n"
        "  - {id: hook, action: webhook, with: {target: capacity}}\n"
        "  - {id: run, action: command, with: {name: scale-up}}\n"
        "  - {id: dynamic, action: webhook, with: {target: '{{ incident.playbook }}'}}\n",
        encoding="utf-8",
    )
    result = cli("validate")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "needs.yaml" in line]
    assert lines == [
        f"{playbooks / 'needs.yaml'}:4:5: a metric trigger needs `prometheus: {{url: …}}` in "
        f"{cli_config}",
        f"{playbooks / 'needs.yaml'}:6:5: webhook target 'capacity' is not in {cli_config} "
        "(configured: none)",
        f"{playbooks / 'needs.yaml'}:7:5: command name 'scale-up' is not in {cli_config} "
        "(configured: none)",
    ]


def test_validate_checks_channels_and_hotlines(cli: Cli, cli_config: Path) -> None:
    playbooks = cli_config.parent / "playbooks"
    (playbooks / "rooms.yaml").write_text(
        "id: rooms\n"
        "title: Rooms\n"
        "steps:\n"
        "  - {id: open, action: channel.open, with: {channel: war-room, name: x}}\n"
        "  - {id: tell, action: channel.post, with: {channel: agents, script: s}}\n"
        "  - {id: line, action: hotline.open, with: {hotline: customer}}\n",
        encoding="utf-8",
    )
    with cli_config.open("a", encoding="utf-8") as config:
        config.write("channels:\n  agents: {provider: webhook, target: nowhere}\n")
    result = cli("validate")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "rooms.yaml" in line or "nowhere" in line]
    assert lines == [
        f"{cli_config}:6:39: channels.agents.target: no webhook target 'nowhere' under "
        "webhooks: (configured: none)",
        f"{playbooks / 'rooms.yaml'}:4:5: channel.open channel 'war-room' is not in {cli_config} "
        "(configured: agents)",
        f"{playbooks / 'rooms.yaml'}:6:5: hotline.open hotline 'customer' is not in "
        f"{cli_config} (configured: none)",
    ]
