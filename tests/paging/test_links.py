"""The signed links in pages: GET only confirms, POST acts once, old or forged links say so."""

from __future__ import annotations

from typing import Any

import pytest
from support.paging import LINK_SECRET, approve_scripts, link_in, wait_for_mail, wait_for_run

from surge.paging.links import LinkError, make_token, read_token
from surge.paging.records import Answer
from surge.store.records import IncidentStatus, RunStatus
from surge.web.app import create_app
from surge.web.keys import RUNTIME


async def paged(world: Any, clock: Any, aiohttp_client: Any) -> tuple[Any, Any, int, str]:
    app = create_app(world.config(), load_entry_points=False)
    runtime = app[RUNTIME]
    runtime.engine.clock = clock
    client = await aiohttp_client(app)
    await approve_scripts(runtime)
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    [mail] = await wait_for_mail(world.smtp, 1)
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    link = link_in(mail.text)
    assert link.startswith("http://surge.example.test/page/")
    return client, runtime, incident.id, link.removeprefix("http://surge.example.test")


async def test_get_confirms_post_acknowledges_once(world, clock, aiohttp_client) -> None:
    client, runtime, incident_id, path = await paged(world, clock, aiohttp_client)
    # a mail scanner fetching the link changes nothing
    for _ in range(2):
        shown = await client.get(path)
        assert shown.status == 200
        page = await shown.text()
        assert f"Acknowledge incident {incident_id}" in page and '<form method="post">' in page
    assert (await runtime.store.get_incident(incident_id)).status is IncidentStatus.TRIGGERED

    clock.advance(45)
    done = await client.post(path)
    assert done.status == 200
    assert f"Thank you: incident {incident_id} is acknowledged." in await done.text()
    assert (await runtime.store.get_incident(incident_id)).status is IncidentStatus.ACKNOWLEDGED
    run = await wait_for_run(runtime, incident_id, "page", RunStatus.SUCCEEDED)
    assert (run.result or {})["by"] == "Ann"

    again = await client.post(path)
    assert again.status == 409
    assert "This link was already used" in await again.text()
    assert (await client.get(path)).status == 409
    acks = [e for e in await runtime.store.timeline(incident_id) if e.kind == "page.ack"]
    assert [e.message for e in acks] == ["Ann acknowledged by link, 45s after the page"]
    assert acks[0].data["seconds"] == 45


async def test_an_expired_link_says_so_and_does_nothing(world, clock, aiohttp_client) -> None:
    client, runtime, incident_id, path = await paged(world, clock, aiohttp_client)
    clock.advance(31 * 60)  # the config gives links 30 minutes
    for answer in (await client.get(path), await client.post(path)):
        assert answer.status == 410
        text = await answer.text()
        assert "This link has expired" in text and "expired at" in text
    assert (await runtime.store.get_incident(incident_id)).status is IncidentStatus.TRIGGERED


async def test_a_forged_or_cut_link_is_refused(world, clock, aiohttp_client) -> None:
    client, runtime, incident_id, path = await paged(world, clock, aiohttp_client)
    page_id = int(path.rsplit("/", 1)[1].split(".")[0])
    forged = make_token("not-the-secret", page_id, Answer.ACK, clock.now.replace(year=2099))
    for bad in (f"/page/{forged}", path[:-4], "/page/1.ack.99999999999.00"):
        answer = await client.post(bad)
        assert answer.status == 404
        assert "This link is not valid" in await answer.text()
    assert (await runtime.store.get_incident(incident_id)).status is IncidentStatus.TRIGGERED
    # the secret is never in the page, the mail or the timeline
    stored = str([(e.message, e.data) for e in await runtime.store.timeline(incident_id)])
    assert LINK_SECRET not in stored and LINK_SECRET not in world.smtp.received[0].text


def test_tokens_check_signature_and_expiry(clock) -> None:
    token = make_token("k", 12, Answer.DECLINE, clock.now.replace(hour=2))
    claim = read_token("k", token, clock.now)
    assert (claim.page_id, claim.action) == (12, Answer.DECLINE)
    with pytest.raises(LinkError, match="not valid") as forged:
        read_token("other", token, clock.now)
    assert not forged.value.expired
    with pytest.raises(LinkError, match="expired at") as late:
        read_token("k", token, clock.now.replace(hour=3))
    assert late.value.expired
