"""``surge audit``, and the CLI's changes on the store directly landing in the audit log
as ``cli@HOST as USER``; the same log read through a server with an admin token."""

from __future__ import annotations

import getpass
import socket
import sqlite3
from pathlib import Path

from cli.helpers import Cli
from support.serve import Server

ROOT = Path(__file__).resolve().parents[2]


def test_changes_on_the_store_are_audited_as_the_cli_user(cli: Cli, cli_config: Path) -> None:
    with cli_config.open("a", encoding="utf-8") as config:
        config.write(f"scripts: {{folder: {ROOT / 'config' / 'scripts'}}}\n")
    assert cli("trigger", "example", "-p", "reason=disk full", "-p", "count=2").code == 0
    assert cli("ack", "1", "--note", "on it").code == 0
    added = cli("silence", "add", "--match", "alertname=X", "--for", "2h", "--comment", "c")
    assert added.code == 0, added
    assert cli("silence", "expire", "1").code == 0
    token = cli("token", "create", "--role", "viewer", "--name", "dash", "--json").json()
    assert cli("token", "revoke", "dash").code == 0
    approved = cli("scripts", "approve", "outage-initial", "--by", "lead", "--note", "ok")
    assert approved.code == 0, approved
    assert cli("resolve", "1").code == 0

    page = cli("audit", "--json").json()
    found = list(reversed(page["entries"]))
    assert [(entry["action"], entry["target"]) for entry in found] == [
        ("incident.trigger", "incident:1"),
        ("incident.ack", "incident:1"),
        ("silence.add", "silence:1"),
        ("silence.expire", "silence:1"),
        ("token.create", "token:dash"),
        ("token.revoke", "token:dash"),
        ("script.approve", "script:outage-initial"),
        ("incident.resolve", "incident:1"),
    ]
    user = getpass.getuser()
    assert {entry["origin"] for entry in found} == {f"cli@{socket.gethostname()} as {user}"}
    assert {(entry["actor"], entry["role"], entry["address"]) for entry in found} == {
        (f"cli:{user}", "store", "")
    }
    assert found[0]["detail"]["params"] == {"reason": "disk full", "count": 2}
    assert found[4]["detail"] == {"role": "viewer"}
    assert found[6]["detail"]["approved_by"] == "lead"
    assert page["next_before"] is None
    with sqlite3.connect(cli_config.parent / "surge.db") as db:
        rows = "\n".join(str(row) for row in db.execute("SELECT * FROM audit_log"))
    assert token["token"] not in rows and token["sha256"] not in rows


def test_the_table_filters_and_pages(cli: Cli) -> None:
    for reason in ("a", "b", "c"):
        assert cli("trigger", "example", "-p", f"reason={reason}").code == 0
    assert cli("ack", "2").code == 0
    table = cli("audit")
    assert table.code == 0, table
    header, *rows = table.out.splitlines()
    assert header.split() == ["ID", "WHEN", "ACTOR", "ROLE", "FROM", "ACTION", "TARGET", "DETAIL"]
    actions = [next(word for word in row.split() if word.startswith("incident.")) for row in rows]
    assert actions == ["incident.ack"] + ["incident.trigger"] * 3
    assert len(cli("audit", "--action", "incident.trigger", "--json").json()["entries"]) == 3
    assert len(cli("audit", "--target", "incident:2", "--json").json()["entries"]) == 2
    assert len(cli("audit", "--since", "1h", "--json").json()["entries"]) == 4
    later = cli("audit", "--since", "2999-01-01T00:00")
    assert later.code == 0 and later.out.strip() == "no audit entries matching"
    first = cli("audit", "--limit", "3")
    assert "older entries: add --before 2" in first.err
    rest = cli("audit", "--before", "2", "--json").json()
    assert [entry["id"] for entry in rest["entries"]] == [1]
    bad = cli("audit", "--since", "last tuesday")
    assert bad.code == 2 and "--since 'last tuesday'" in bad.err
    assert cli("audit", "--limit", "0").code == 2


def test_through_a_server_only_admins_read_the_log(cli: Cli, server: Server) -> None:
    def token(role: str) -> str:
        made = cli("token", "create", "--role", role, "--json", config=server.config)
        assert made.code == 0, made
        value: str = made.json()["token"]
        return value

    admin, viewer = token("admin"), token("viewer")
    remote = ("--server", server.url, "--token", admin)
    assert cli("trigger", "example", "-p", "reason=api", *remote, config=server.config).code == 0
    page = cli("audit", "--action", "incident.*", "--json", *remote, config=server.config)
    assert page.code == 0, page
    [entry] = page.json()["entries"]
    assert (entry["actor"], entry["role"], entry["address"]) == ("admin-1", "admin", "127.0.0.1")
    denied = cli("audit", "--server", server.url, "--token", viewer, config=server.config)
    assert denied.code == 1 and "role 'viewer' may not do this" in denied.err
    shown = cli("audit", "--outcome", "denied", "--json", *remote, config=server.config).json()
    assert [item["actor"] for item in shown["entries"]] == ["viewer-1"]


def documented_commands() -> list[list[str]]:
    """The ``surge audit`` lines of docs/api.md's example, as argument lists."""
    import re
    import shlex

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```sh\n(surge audit.*?)```", text, re.S)
    return [shlex.split(line.split("  #")[0])[1:] for line in block.splitlines() if line]


def test_the_documented_commands_run(cli: Cli, server: Server) -> None:
    commands = documented_commands()
    assert len(commands) == 4
    assert cli("trigger", "example", "-p", "reason=x").code == 0
    for argv in commands:
        if "--server" in argv:  # against the real server, with an admin token it accepts
            made = cli("token", "create", "--role", "admin", "--json", config=server.config)
            argv = [server.url if item == "http://127.0.0.1:8080" else item for item in argv]
            argv = [made.json()["token"] if item == "$ADMIN_TOKEN" else item for item in argv]
            result = cli(*argv, config=server.config)
        else:
            result = cli(*argv)
        assert result.code == 0, (argv, result)
