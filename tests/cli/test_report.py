"""``surge report ID``: printed or written to a file, on the store directly and from a
server."""

from __future__ import annotations

from pathlib import Path

from cli.helpers import Cli, Server


def _incident(cli: Cli, *extra: str) -> str:
    started = cli("trigger", "hold", "--json", *extra)
    assert started.code == 0, started
    return str(started.json()["id"])


def test_report_prints_or_writes_the_report(cli: Cli, tmp_path: Path) -> None:
    incident = _incident(cli)
    cli("customers", incident, "--add", "C-1", "--contact", "13812345678")
    printed = cli("report", incident, "--locale", "en")
    assert printed.code == 0, printed
    assert printed.out.startswith(f"# Post-incident report: #{incident} Holds until acknowledged")
    assert "13812345678" not in printed.out
    target = tmp_path / "report.html"
    written = cli("report", incident, "--format", "html", "--out", str(target))
    assert (written.code, written.out) == (
        0,
        f"report of incident {incident} written to {target}\n",
    )
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert cli("report", "999").code == 1


def test_report_from_a_server(cli: Cli, server: Server) -> None:
    made = cli("token", "create", "--role", "admin", "--json", config=server.config)
    remote = ("--server", server.url, "--token", made.json()["token"])
    incident = _incident(cli, *remote)
    shown = cli("report", incident, "--format", "html", "--locale", "zh-TW", *remote)
    assert shown.code == 0, (shown, server.output())
    assert '<h2 id="follow-ups">後續跟進</h2>' in shown.out
    assert cli("report", "999", *remote).code == 1
