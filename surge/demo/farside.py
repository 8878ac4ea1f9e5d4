"""The demo's far side, on a loopback port: the systems and the people surge talks to.

surge's config for the demo binds every webhook target, channel, pager and hotline to
this server, so what the playbooks do goes out through surge's real webhook action,
channel provider and pager, and lands here, where it is recorded (and shown in the
terminal). The simulated **people** answer their pages the way people do: a paged person
opens the signed link in the page and presses its button (a POST to surge's
``/page/TOKEN``), after a few minutes, or not at all; asked to come in, a standby person
accepts or declines. Who answers what, and after how long, follows from the seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from surge.demo.clock import DemoClock

HOTLINE_NUMBER = "400-820-8820"
Report = Callable[[str, str], None]  # (who, what happened)


@dataclass(frozen=True)
class Answer:
    action: str | None  # "ack", "accept", "decline" or None (no answer)
    after_minutes: float


def decide(seed: int, purpose: str, incident: int, person: str) -> Answer:
    """What ``person`` does with a page: the same for the same seed, whatever the order
    the pages arrive in."""
    rng = random.Random(f"{seed}|{purpose}|{incident}|{person}")
    draw = rng.random()
    if purpose == "escalation":
        return Answer("ack" if draw < 0.6 else None, rng.uniform(1.0, 4.0))
    if draw < 0.7:
        return Answer("accept", rng.uniform(0.5, 3.0))
    return Answer("decline" if draw < 0.9 else None, rng.uniform(0.5, 2.0))


@dataclass
class FarSide:
    clock: DemoClock
    seed: int
    report: Report
    received: list[dict[str, Any]] = field(default_factory=list)  # everything, in order
    answers: list[tuple[str, str, int]] = field(default_factory=list)  # (person, action, status)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None
    _rooms: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks/{name}", self.hook)
        app.router.add_post("/channels/{name}", self.channel)
        app.router.add_post("/pagers/{name}", self.pager)
        return app

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _body(self, request: web.Request, kind: str) -> dict[str, Any]:
        body = await request.json()
        record = {"kind": kind, "name": request.match_info["name"], "body": body}
        self.received.append(record)
        return dict(body) if isinstance(body, dict) else {}

    async def hook(self, request: web.Request) -> web.Response:
        """The `webhook` action's targets (backup capacity) and the hotline's IVR."""
        name = request.match_info["name"]
        body = await self._body(request, "hook")
        event = str(body.get("event") or body.get("action") or "call")
        if name == "ivr":
            if event == "hotline.open":
                return web.json_response({"number": HOTLINE_NUMBER})
            return web.json_response({})
        self.report(name, f"backup capacity {'on' if event == 'up' else 'off'} ({event})")
        return web.json_response({"ok": True})

    async def channel(self, request: web.Request) -> web.Response:
        """The channels' webhook provider: rooms opened and closed, messages posted."""
        name = request.match_info["name"]
        body = await self._body(request, "channel")
        event = body.get("event")
        if event == "channel.open":
            self._rooms += 1
            room = f"{name}-{self._rooms}"
            return web.json_response({"room": room})
        if event == "channel.post":
            texts = body.get("texts") or [{}]
            first = str(texts[0].get("text", ""))
            kind = "script pinned" if body.get("kind") == "script" else "posted"
            self.report(name, f"{kind} {body.get('script')}: {_short(first)}")
            return web.json_response({"id": f"m{len(self.received)}"})
        return web.json_response({})

    async def pager(self, request: web.Request) -> web.Response:
        """Pages (the webhook pager): the person decides, then opens the link, or not."""
        body = await self._body(request, "page")
        person = body.get("person") or {}
        purpose = str(body.get("purpose") or "escalation")
        incident = int((body.get("incident") or {}).get("id") or 0)
        answer = decide(self.seed, purpose, incident, str(person.get("id")))
        links = body.get("links") or {}
        if answer.action is not None and links.get(answer.action):
            task = asyncio.create_task(self._answer(person, answer, str(links[answer.action])))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"ok": True})

    async def _answer(self, person: dict[str, Any], answer: Answer, link: str) -> None:
        await self.clock.sleep(answer.after_minutes * 60)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        status = 0  # surge did not answer
        with contextlib.suppress(aiohttp.ClientError):
            async with self._session.post(link) as response:
                status = response.status
        self.answers.append((str(person.get("id")), str(answer.action), status))


def _short(text: str, width: int = 60) -> str:
    line = text.replace("\n", " ").strip()
    return line if len(line) <= width else line[: width - 1] + "…"
