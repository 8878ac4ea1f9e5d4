"""The live pages' server-sent events: what the engine or a colleague changes reaches an
open page, rendered as the page renders it, and a reconnect resumes where it left off."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from surge.web.keys import RUNTIME

STREAM = {"Accept": "text/event-stream"}


async def events(response: Any) -> AsyncIterator[dict[str, str]]:
    """Each event of a text/event-stream answer as {"event", "data", "id"}."""
    event: dict[str, str] = {}
    while True:
        line = (await response.content.readline()).decode()
        if not line:
            return
        line = line.rstrip("\r\n")
        if not line:
            if "data" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            event[name] = event[name] + "\n" + value if name == "data" and name in event else value


async def next_event(stream: AsyncIterator[dict[str, str]], kind: str) -> dict[str, str]:
    async def find() -> dict[str, str]:
        async for event in stream:
            if event.get("event") == kind:
                return event
        raise AssertionError(f"the stream ended before a {kind!r} event")

    return await asyncio.wait_for(find(), 10)


async def test_an_incident_page_hears_of_new_entries_and_status(make_console) -> None:
    client = await make_console("responder")
    runtime = client.app[RUNTIME]
    last = (await runtime.store.timeline(1))[-1].id
    response = await client.get(f"/console/live/incidents/1?after={last}", headers=STREAM)
    assert response.status == 200 and response.content_type == "text/event-stream"
    stream = events(response)
    summary = await next_event(stream, "summary")
    assert 'id="do-ack"' in summary["data"]
    await runtime.engine.note(1, "lee", "note", "a note <from> lee", {})
    entries = await next_event(stream, "entries")
    assert "a note &lt;from&gt; lee" in entries["data"] and int(entries["id"]) > last
    from surge.store.records import IncidentStatus

    await runtime.engine.change_status(1, IncidentStatus.ACKNOWLEDGED, "lee", "")
    summary = await next_event(stream, "summary")
    assert "acknowledged" in summary["data"] and 'id="do-ack"' not in summary["data"]
    response.close()


async def test_a_reconnect_gets_only_what_it_missed(make_console) -> None:
    client = await make_console("viewer")
    timeline = await client.app[RUNTIME].store.timeline(1)
    resumed = {**STREAM, "Last-Event-ID": str(timeline[-2].id)}
    response = await client.get("/console/live/incidents/1?after=0", headers=resumed)
    entries = await next_event(events(response), "entries")
    assert entries["data"].count("<tr") == 1 and entries["id"] == str(timeline[-1].id)
    response.close()


async def test_the_list_hears_of_a_new_incident(make_console) -> None:
    client = await make_console("viewer")
    response = await client.get("/console/live/incidents?status=open", headers=STREAM)
    stream = events(response)
    first = await next_event(stream, "rows")  # the page said it had seen nothing
    assert 'data-id="1"' in first["data"] and 'data-id="2"' not in first["data"]
    await client.app[RUNTIME].engine.trigger("example", {"reason": "more"}, actor="lee")
    rows = await next_event(stream, "rows")
    assert 'data-id="2"' in rows["data"] and rows["id"] != first["id"]
    response.close()


async def test_what_the_page_shows_already_is_not_sent_again(make_console) -> None:
    client = await make_console("viewer")
    page = await (await client.get("/console/?status=open")).text()
    [seen] = re.findall(
        r'id="incidents" data-live="/console/live/incidents" data-seen="(\w+)"', page
    )
    response = await client.get(f"/console/live/incidents?status=open&seen={seen}", headers=STREAM)
    stream = events(response)
    await client.app[RUNTIME].engine.trigger("example", {"reason": "more"}, actor="lee")
    rows = await next_event(stream, "rows")  # the first event is the change
    assert 'data-id="2"' in rows["data"]
    response.close()
    page = await (await client.get("/console/incidents/1")).text()
    [after, seen] = re.findall(r'data-after="(\d+)" data-seen="(\w+)"', page)[0]
    response = await client.get(
        f"/console/live/incidents/1?after={after}&seen={seen}", headers=STREAM
    )
    stream = events(response)
    await client.app[RUNTIME].engine.note(1, "lee", "note", "first news", {})
    event = await next_event(stream, "entries")
    assert "first news" in event["data"]
    response.close()


async def test_a_stream_of_an_unknown_incident_is_404(make_console) -> None:
    client = await make_console("viewer")
    response = await client.get("/console/live/incidents/99", headers=STREAM)
    assert response.status == 404
