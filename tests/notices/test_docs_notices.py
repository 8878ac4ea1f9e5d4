"""The examples in docs/notices.md work: the components parse, and the playbook runs
through a real engine from the first notice to the resolution and the banner's end."""

from __future__ import annotations

import re
from pathlib import Path

from notices.conftest import approve_all

from surge.config import parse_config
from surge.notices.model import ComponentStatus, NoticeState
from surge.store.records import IncidentStatus

DOC = Path(__file__).resolve().parents[2] / "docs" / "notices.md"
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n```yaml\n(?P<body>.*?)```", re.S)


def examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return {match["name"]: match["body"] for match in EXAMPLE.finditer(text)}


def test_the_components_example_parses() -> None:
    config = parse_config(examples()["components"], "docs/notices.md")
    assert [item.id for item in config.components] == ["web-chat", "hotline", "app"]
    web_chat, hotline, app = config.components
    assert web_chat.group == hotline.group and web_chat.group is not None
    assert web_chat.group.id == "service-channels"
    assert app.group is not None and app.group.name["zh-CN"] == "Apps"
    assert app.description["en"] == "iOS and Android"


async def test_the_playbook_example_publishes_updates_and_resolves(
    make_runtime, notices_config, write_playbook, wait_settled
):
    write_playbook("chat-outage", examples()["playbook"])
    runtime = await make_runtime(config=notices_config)
    await approve_all(runtime)
    notices = runtime.engine.services.notices
    incident = await runtime.engine.trigger("chat-outage", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.status.value for run in runs] == ["succeeded"] * 3, [r.error for r in runs]
    view = await notices.view()
    [shown] = view.incidents
    assert shown.latest.state is NoticeState.IDENTIFIED
    assert view.banner is not None and view.banner.link == "/help"
    assert {item.id: item.status for item in view.components}["web-chat"] is (
        ComponentStatus.PARTIAL_OUTAGE
    )
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "lee", "fixed")
    await wait_settled(runtime, incident.id)
    view = await notices.view()
    [closed] = view.resolved
    assert [v.state for v in closed.versions] == [
        NoticeState.RESOLVED, NoticeState.IDENTIFIED, NoticeState.INVESTIGATING,
    ]  # fmt: skip
    assert re.fullmatch(r"\d\d:\d\d", closed.latest.vars["resolved_at"])
    assert view.banner is None and view.incidents == ()
    assert {item.status for item in view.components} == {ComponentStatus.OPERATIONAL}
