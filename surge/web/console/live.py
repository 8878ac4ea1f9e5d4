"""Server-sent events (aiohttp-sse): the incidents list and an incident page follow the
store's change feed (``Store.changes``; LISTEN/NOTIFY on PostgreSQL, polling on SQLite),
so what another replica, the engine or a colleague changes shows without a reload.

Each event's data is HTML the server rendered with the same templates as the page
(autoescaped): ``rows`` replaces the list's rows; ``summary`` replaces an incident's facts,
buttons and steps; ``entries`` appends new timeline rows, with the last entry's id as the
event id, so a reconnecting browser (``Last-Event-ID``) gets only what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response

from surge.roles import READ
from surge.store.replicas import Change, Subscription
from surge.web.auth import console_page
from surge.web.console.incidents import incident_context, list_context
from surge.web.console.render import digest, fragment
from surge.web.console.state import console_state
from surge.web.keys import runtime
from surge.web.params import number, record_id

routes = web.RouteTableDef()
SETTLE = 0.05  # changes arriving this close together are shown as one
PING = 15.0


class Live:
    """One open stream: its response, its changes, and whether to go on."""

    def __init__(
        self, stream: EventSourceResponse, changes: Subscription, stopping: asyncio.Event
    ) -> None:
        self.stream = stream
        self.changes = changes
        # made once: cancelling a wait on the stream would cancel its pings with it
        self._ends = {
            asyncio.ensure_future(stream.wait()),  # done when the browser went away
            asyncio.ensure_future(stopping.wait()),  # the server is stopping
        }

    async def next(self) -> list[Change] | None:
        """The next changes (a burst as one list), or None when the stream should end."""
        change = asyncio.ensure_future(anext(self.changes))
        await asyncio.wait({change, *self._ends}, return_when=asyncio.FIRST_COMPLETED)
        if not change.done() or any(end.done() for end in self._ends):
            change.cancel()
            return None
        burst = [change.result()]
        while True:
            try:
                burst.append(await asyncio.wait_for(anext(self.changes), SETTLE))
            except TimeoutError:
                return burst

    def close(self) -> None:
        for end in self._ends:
            end.cancel()


@contextlib.asynccontextmanager
async def _live(request: web.Request) -> AsyncIterator[Live]:
    state = runtime(request)
    feed = state.store.changes(state.config.replicas.change_poll)
    stopping = console_state(request).stopping
    async with feed.subscribe() as changes, sse_response(request, ping_interval=PING) as stream:
        live = Live(stream, changes, stopping)
        try:
            yield live
        except ConnectionResetError:  # the browser went away while we wrote
            pass
        finally:
            live.close()


@routes.get("/console/live/incidents")
@console_page(READ)
async def live_incidents(request: web.Request) -> web.StreamResponse:
    shown = request.headers.get("Last-Event-ID") or request.query.get("seen", "")
    async with _live(request) as live:
        while True:
            rows = await fragment(request, "_incident_rows.html", **await list_context(request))
            if digest(rows) != shown:
                shown = digest(rows)
                await live.stream.send(rows, event="rows", id=shown)
            if await live.next() is None:
                break
    return live.stream


@routes.get("/console/live/incidents/{id}")
@console_page(READ)
async def live_incident(request: web.Request) -> web.StreamResponse:
    incident_id = record_id(request, "incident")
    resumed = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    after = number(resumed, "after must be a timeline entry id (a number)")
    store = runtime(request).store
    await incident_context(request, incident_id)  # a 404 before the stream starts
    shown = request.query.get("seen", "")
    async with _live(request) as live:
        while True:
            entries = await store.timeline(incident_id, after)
            if entries:
                rows = await fragment(request, "_timeline_rows.html", timeline=entries)
                await live.stream.send(rows, event="entries", id=str(entries[-1].id))
                after = entries[-1].id
            summary = await fragment(
                request, "_incident_summary.html", **await incident_context(request, incident_id)
            )
            if digest(summary) != shown:
                await live.stream.send(summary, event="summary")
                shown = digest(summary)
            if not await _concerning(live, incident_id):
                break
    return live.stream


async def _concerning(live: Live, incident_id: int) -> bool:
    """Wait for a change of this incident (or a resync); False when the stream ends."""
    while (burst := await live.next()) is not None:
        if any(item.incident_id in (incident_id, 0) for item in burst):
            return True
    return False
