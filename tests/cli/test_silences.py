"""``surge silence add|list|expire``, on the store directly and against a server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from cli.helpers import Cli, Result, Server

from surge.cli.silences import describe, local_zone_name

NIGHTLY = ("--window", "daily 22:00-06:00", "--tz", "Asia/Shanghai")


def add(cli: Cli, *args: str, **options: object) -> dict[str, object]:
    result = cli("silence", "add", *args, "--json", **options)
    assert result.code == 0, result
    silence: dict[str, object] = result.json()
    return silence


def test_add_list_and_expire(cli: Cli) -> None:
    result = cli(
        "silence", "add", "--match", "alertname=ChannelDown", "--match", 'env!="staging"',
        "--for", "2h", "--comment", "deploying the hotline",
    )  # fmt: skip
    assert result.code == 0, result
    found = re.fullmatch(
        r'silence (\d+) added: alertname="ChannelDown", env!="staging" until (\S+ )?\d\d:\d\d '
        r"\(active\)\n",
        result.out,
    )
    assert found, result.out
    silence_id = found.group(1)

    table = cli("silence", "list")
    assert table.code == 0, table
    header, row = table.out.splitlines()
    assert header.split() == ["ID", "MATCHERS", "WHEN", "STATE", "COMMENT", "BY"]
    assert row.startswith(f'{silence_id}   alertname="ChannelDown", env!="staging"  until ')
    assert "active" in row and "deploying the hotline" in row and "cli:" in row

    [listed] = cli("silence", "list", "--json").json()
    assert listed["matchers"] == ['alertname="ChannelDown"', 'env!="staging"']
    assert listed["state"] == "active" and listed["timezone"] == local_zone_name()
    ends = datetime.fromisoformat(listed["ends_at"]) - datetime.fromisoformat(listed["starts_at"])
    assert ends == timedelta(hours=2)

    expired = cli("silence", "expire", silence_id)
    assert expired.code == 0, expired
    assert expired.out == f"silence {silence_id} is now expired\n"
    assert cli("silence", "list").out == "no silences in force (--all shows all)\n"
    [gone] = cli("silence", "list", "--all", "--json").json()
    assert gone["state"] == "expired" and gone["expired_at"] is not None
    again = cli("silence", "expire", silence_id, "--json")
    assert again.code == 0 and again.json()["expired_at"] == gone["expired_at"]


def test_a_recurring_silence_in_a_named_zone(cli: Cli) -> None:
    silence = add(cli, "--match", "channel=hotline", *NIGHTLY, "--comment", "closed at night")
    assert silence["windows"] == [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "22:00",
            "end": "06:00",
        }
    ]
    assert (silence["timezone"], silence["ends_at"]) == ("Asia/Shanghai", None)
    assert silence["state"] in ("active", "scheduled")
    row = cli("silence", "list").out.splitlines()[1]
    assert 'channel="hotline"  daily 22:00–06:00 Asia/Shanghai  ' in row


def test_times_without_offset_are_read_in_tz(cli: Cli) -> None:
    silence = add(
        cli, "--match", "alertname=X", "--start", "2099-01-01T00:00", "--until",
        "2099-01-01T08:00", "--tz", "Asia/Shanghai", "--comment", "c",
    )  # fmt: skip
    assert silence["starts_at"] == "2098-12-31T16:00:00+00:00"
    assert silence["ends_at"] == "2099-01-01T00:00:00+00:00"
    assert silence["state"] == "scheduled"
    assert (
        describe(silence)
        == f"from {_local(silence['starts_at'])} until {_local(silence['ends_at'])}"
    )


def _local(iso: object) -> str:
    assert isinstance(iso, str)
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def test_the_default_zone_is_this_machines(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert local_zone_name() == "Europe/Berlin"
    silence = add(cli, "--match", "alertname=X", "--window", "weekends", "--comment", "c")
    assert silence["timezone"] == "Europe/Berlin"
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone_name() != "Not/AZone"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--match", "alertname", "--for", "1h"), "'alertname' is not a matcher: write NAME=VALUE"),
        (("--match", 'job=~"("', "--for", "1h"), "not a valid regular expression"),
        (("--match", "env!=staging", "--for", "1h"), "would silence nearly everything"),
        (("--match", "a=b", "--window", "nightly"), "window 1: unknown day 'nightly'"),
        (("--match", "a=b", "--window", "daily 22:00"), "'daily 22:00' is not a window"),
        (("--match", "a=b", "--for", "1h", "--tz", "Asia/Shangai"), "did you mean 'Asia/Shanghai'"),
        (("--match", "a=b", "--until", "tomorrow"), "--until: 'tomorrow' is not an ISO 8601 time"),
        (("--match", "a=b", "--until", "2000-01-01T00:00Z"), "the silence would end in the past"),
        (("--match", "a=b", "--for", "0s"), "for must be longer than 0s"),
        (
            (
                "--match",
                "a=b",
            ),
            "say how long: --for DURATION or --until TIME",
        ),
        (("--match", "a=b", "--for", "1h", "--until", "2099-01-01"), "not allowed with argument"),
        (
            ("--for", "1h", "--comment", "c"),
            "a silence needs at least one matcher or component",
        ),
    ],
)
def test_usage_errors(cli: Cli, args: tuple[str, ...], message: str) -> None:
    comment = () if "--match" not in args else ("--comment", "c")
    result = cli("silence", "add", *args, *comment)
    assert result.code == 2, result
    assert message in result.err
    assert cli("silence", "list", "--all", "--json").json() == []


def test_a_comment_is_required(cli: Cli) -> None:
    result = cli("silence", "add", "--match", "a=b", "--for", "1h")
    assert result.code == 2
    assert "--comment" in result.err


def test_expiring_an_unknown_silence_fails(cli: Cli) -> None:
    result = cli("silence", "expire", "4242")
    assert result.code == 1
    assert "no silence 4242" in result.err


def test_describe() -> None:
    later = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    base = {"windows": [], "timezone": "UTC", "starts_at": "2000-01-01T00:00:00+00:00"}
    assert describe({**base, "ends_at": None, "expired_at": None}) == "until expired"
    assert describe({**base, "ends_at": later, "expired_at": None}) == f"until {_local(later)}"
    expired = {**base, "ends_at": later, "expired_at": "2001-01-01T00:00:00+00:00"}
    assert describe(expired) == f"expired {_local('2001-01-01T00:00:00+00:00')}"
    windows = [{"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}]
    nightly = {**base, "windows": windows, "timezone": "Asia/Shanghai", "ends_at": None}
    assert describe({**nightly, "expired_at": None}) == "weekends Asia/Shanghai"


# -- against a running server --


def test_server_mode(cli: Cli, server: Server) -> None:
    def remote(role: str) -> tuple[str, ...]:
        made = cli("token", "create", "--role", role, "--json", config=server.config)
        assert made.code == 0, made
        return ("--server", server.url, "--token", made.json()["token"])

    def run(*args: str) -> Result:
        return cli("silence", *args, *responder, config=server.config)

    responder = remote("responder")
    added = run("add", "--match", "alertname=Down", "--for", "1h", "--comment", "c", "--json")
    assert added.code == 0, (added, server.output())
    silence = added.json()
    assert silence["created_by"] == "responder-1"
    assert [item["id"] for item in run("list", "--json").json()] == [silence["id"]]
    expired = run("expire", str(silence["id"]), "--json")
    assert expired.code == 0 and expired.json()["state"] == "expired"
    assert run("list", "--json").json() == []
    assert len(run("list", "--all", "--json").json()) == 1
    missing = run("expire", "999")
    assert missing.code == 1 and "no silence 999" in missing.err

    refused = cli(
        "silence", "add", "--match", "a=b", "--for", "1h", "--comment", "c", *remote("viewer"),
        config=server.config,
    )  # fmt: skip
    assert refused.code == 1
    assert "role 'viewer' may not do this" in refused.err
