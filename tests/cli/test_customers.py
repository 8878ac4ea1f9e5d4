"""``surge customers ID``: adding and listing affected customers, on the store directly and
against a server, with contacts masked unless asked for."""

from __future__ import annotations

from cli.helpers import Cli, Server


def _incident(cli: Cli, *extra: str) -> str:
    started = cli("trigger", "hold", "--json", *extra)
    assert started.code == 0, started
    return str(started.json()["id"])


def test_add_and_list_on_the_store(cli: Cli) -> None:
    incident = _incident(cli)
    added = cli(
        "customers", incident, "--add", "C-1", "--channel", "hotline",
        "--contact", "13812345678", "--note", "退款",
    )  # fmt: skip
    assert (added.code, added.out) == (0, f"incident {incident}: customer C-1\n")
    cli("customers", incident, "--add", "C-2", "--contact", "ann@example.com")
    table = cli("customers", incident)
    assert table.code == 0, table
    rows = [line.split() for line in table.out.splitlines()]
    assert rows[0] == ["REF", "CHANNEL", "CONTACT", "NOTE", "ADDED", "BY", "ADDED"]
    assert rows[1][:4] == ["C-1", "hotline", "*******5678", "退款"]
    assert rows[2][:2] == ["C-2", "a***@example.com"]
    assert "13812345678" not in table.out
    assert "13812345678" in cli("customers", incident, "--show-contact").out
    listed = cli("customers", incident, "--json").json()["customers"]
    assert [item["contact"] for item in listed] == ["13812345678", "ann@example.com"]
    wrong = cli("customers", incident, "--add", "")
    assert wrong.code == 2 and "ref must be from 1 to 200 characters" in wrong.err
    assert cli("customers", "999").code == 1


def test_server_mode(cli: Cli, server: Server) -> None:
    def token(role: str) -> tuple[str, ...]:
        made = cli("token", "create", "--role", role, "--json", config=server.config)
        return ("--server", server.url, "--token", made.json()["token"])

    responder, viewer = token("responder"), token("viewer")
    incident = _incident(cli, *token("admin"))
    added = cli("customers", incident, "--add", "C-9", "--contact", "13900001111", *responder)
    assert added.code == 0, (added, server.output())
    seen = cli("customers", incident, "--json", "--show-contact", *viewer).json()["customers"]
    assert [(c["ref"], c["contact"], c["contact_masked"]) for c in seen] == [
        ("C-9", None, "*******1111")
    ]
    refused = cli("customers", incident, "--add", "C-10", *viewer)
    assert refused.code == 1
