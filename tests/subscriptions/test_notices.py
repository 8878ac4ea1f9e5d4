"""Notices published through ``surge.notices`` (from approved scripts) reach subscribers by
the ``surge_notice_published`` hook: each public version once, in the subscriber's locale,
to those whose components it concerns, the resolution too; internal notices reach none."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from notices.conftest import COMPONENTS, OUTAGE, RESOLVED, SCRIPTS, approve_all
from subscriptions.conftest import Client, mails, path_of, settled

from surge.config import Config, ScriptSettings
from surge.notices.model import Audience, ComponentStatus
from surge.notices.service import Draft, Notices
from surge.web.keys import RUNTIME


async def confirm(client: Client, smtp_server: Any, count: int, **body: Any) -> None:
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status == 200, await response.text()
    mail = (await mails(smtp_server, count))[count - 1]
    [link] = re.findall(r"http://\S+/subscriptions/confirm/\S+", mail.text)
    assert (await client.post(path_of(link))).status == 200


async def test_published_versions_reach_the_subscribers_they_concern(
    make_subs_client, subs_config: Config, smtp_server
):
    config = dataclasses.replace(
        subs_config, scripts=ScriptSettings(SCRIPTS), components=COMPONENTS
    )
    client: Client = await make_subs_client(config)
    runtime = client.app[RUNTIME]
    await approve_all(runtime)
    await confirm(
        client, smtp_server, 1, email="chat@example.com", components=["web-chat"], locale="zh-CN"
    )
    await confirm(client, smtp_server, 2, email="app@example.com", components=["app"], locale="en")
    notices = runtime.engine.services.notices
    assert isinstance(notices, Notices)

    outage = Draft("outage-initial", OUTAGE, components={"web-chat": ComponentStatus.MAJOR_OUTAGE})
    first = await notices.publish_new(outage, author="comms-lead")
    [mail] = (await mails(smtp_server, 3))[2:]
    assert mail.recipients == ["chat@example.com"]
    assert mail.message["Subject"] == f"【调查中】{first.version.title['zh-CN']}"
    assert first.version.body["zh-CN"].splitlines()[0] in mail.text
    assert "在线客服 (严重中断)" in mail.text
    assert "http://status.example.test/status" in mail.text

    closed = await notices.resolve(
        first.notice.id, Draft("outage-resolved", RESOLVED), author="ann"
    )
    [resolution] = (await mails(smtp_server, 4))[3:]
    assert resolution.recipients == ["chat@example.com"]
    assert resolution.message["Subject"].startswith("【已解决】")
    deliveries = await settled(client, notice=first.notice.id)
    assert [(item["version"], item["state"]) for item in deliveries] == [(1, "sent"), (2, "sent")]
    assert closed.version.number == 2

    internal = Draft(
        "outage-initial",
        OUTAGE,
        audience=Audience.INTERNAL,
        components={"app": ComponentStatus.MAJOR_OUTAGE},
    )
    staff_only = await notices.publish_new(internal, author="comms-lead")
    await runtime.engine.events.drain()
    assert await settled(client, notice=staff_only.notice.id) == []
    assert len(smtp_server.received) == 4
