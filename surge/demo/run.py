"""``surge demo``: the shipped playbooks at work on the embedded default, with nothing
else installed and nothing sent off the machine.

It starts surge (SQLite in ``var/demo/``, the HTTP API, the engine and the metric
watcher) with a fast clock, a metrics simulator in place of Prometheus and the far side
on loopback (``surge.demo.farside``), plays a scenario, prints what happens, and then
leaves the server running at the printed URLs with a printed admin token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from surge.config import load_config, parse_listen
from surge.demo.clock import DemoClock
from surge.demo.config import LINK_SECRET_ENV, Shipped, write_config
from surge.demo.farside import FarSide
from surge.demo.metrics import SimulatedMetrics
from surge.demo.progress import Progress
from surge.demo.world import SCENARIOS, World, world_for
from surge.runtime import Runtime, build_runtime
from surge.scripts.approval import approve
from surge.store.records import Incident, IncidentStatus
from surge.web.app import app_for

SPEED = {False: 20.0, True: 120.0}  # the clock's pace: a normal run, and --fast
ROUND = 30.0  # seconds of the clock between two evaluations of the metric triggers
RESOLVE_AFTER = 2.0  # minutes after its trigger mitigated it that the lead resolves it
APPROVE_AFTER = 3.0  # minutes communications take to approve a holding statement
COMMS = "林娜 (公关部)"  # who approves it: the rota's public-relations lead
SCENARIO_NAMES = ("all", *SCENARIOS)
OPEN_RUNS = ("pending", "running", "waiting")
POLL = 0.05  # seconds between the engine's looks at the store (the clock runs fast)


class DemoError(Exception):
    """The demo cannot start; the message says why."""


@dataclass(frozen=True)
class DemoOptions:
    scenario: str = "all"
    fast: bool = False
    seed: int = 1
    listen: str = "127.0.0.1:8080"
    folder: Path = Path("var/demo")
    serve: bool = True  # keep serving after the scenario, until interrupted


@dataclass
class Demo:
    options: DemoOptions
    print: Callable[[str], None]
    world: World = field(init=False)
    clock: DemoClock = field(init=False)
    token: str = field(default_factory=lambda: _token())  # the watcher's, role admin
    lead_token: str = field(default_factory=lambda: _token())  # the simulated shift lead's
    url: str = ""
    _approved: set[int] = field(default_factory=set)  # runs whose script was approved

    def __post_init__(self) -> None:
        self.world = world_for(self.options.scenario, self.options.seed)
        self.clock = DemoClock(SPEED[self.options.fast], self.world.minutes)

    async def run(self) -> int:
        host, port = _address(self.options.listen)
        self.url = f"http://{host}:{port}"
        folder = self.options.folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        os.environ.setdefault(LINK_SECRET_ENV, secrets.token_hex(16))
        progress = Progress(self.clock, self.print)
        far = FarSide(self.clock, self.options.seed, progress.far_side)
        far_runner = await _serve(far.app(), "127.0.0.1", 0)
        try:
            far_url = f"http://127.0.0.1:{_port(far_runner)}"
            tokens = {"demo": ("admin", self.token), "shift-lead": ("responder", self.lead_token)}
            path = write_config(folder, Shipped.find(), f"{host}:{port}", far_url, tokens, POLL)
            runtime = self._runtime(path)
            app = app_for(runtime)
            runner = await _serve(app, host, port)
            try:
                await self._play(runtime, app, progress, far_url)
                if self.options.serve:
                    await asyncio.Event().wait()  # until Ctrl-C
            finally:
                await runner.cleanup()
        finally:
            await far.close()
            await far_runner.cleanup()
        return 0

    def _runtime(self, path: Path) -> Runtime:
        runtime = build_runtime(load_config(str(path)), clock=self.clock)
        if runtime.problems:
            problems = "\n  ".join(str(problem) for problem in runtime.problems)
            raise DemoError(f"the shipped tree has problems (run `surge validate`):\n  {problems}")
        runtime.engine.services.metrics = SimulatedMetrics(self.world, self.clock.start)
        runtime.triggers.interval = ROUND / self.clock.speed
        return runtime

    async def _play(
        self, runtime: Runtime, app: web.Application, progress: Progress, far_url: str
    ) -> None:
        for script in runtime.scripts.all():  # the demo's communications lead approves
            await approve(runtime.store, script, "demo", self.clock())
        self._header(runtime, app, far_url)
        progress.story(self.world.story())
        self.clock.go()
        lead = {"Authorization": f"Bearer {self.lead_token}"}
        async with aiohttp.ClientSession(headers=lead) as http:
            while not await self._over(runtime, progress, http):
                await progress.poll(runtime.store)
                await asyncio.sleep(0.1)
        await progress.poll(runtime.store)
        self.clock.settle()
        await progress.summary(runtime)
        self._footer(app)

    async def _over(
        self, runtime: Runtime, progress: Progress, http: aiohttp.ClientSession
    ) -> bool:
        """The shift lead resolves what its trigger mitigated; the run is over when every
        scenario's incident is resolved and its on_resolve steps are done (or time is up)."""
        minute = self.clock.minute()
        incidents = await runtime.store.list_incidents()
        lead = {s.playbook for s, _ in self.world.scenarios if s.lead_resolves}
        for incident in incidents:
            mitigated = progress.mitigated_at.get(incident.id)
            if (
                incident.playbook_id in lead
                and incident.status is IncidentStatus.MITIGATED
                and mitigated is not None
                and minute - mitigated >= RESOLVE_AFTER
            ):
                await self._resolve(http, incident.id)
        await self._approve_waiting(runtime, incidents, minute)
        wanted = {scenario.playbook for scenario, _ in self.world.scenarios}
        done = {i.playbook_id for i in incidents if i.status is IncidentStatus.RESOLVED}
        if minute > self.world.minutes + 15:
            return True  # time is up
        if not wanted <= done:
            return False
        for incident in incidents:
            if any(run.status.value in OPEN_RUNS for run in await runtime.store.runs(incident.id)):
                return False
        return True

    async def _approve_waiting(
        self, runtime: Runtime, incidents: list[Incident], minute: float
    ) -> None:
        """Communications approve what a step waits to have approved (the holding
        statement), a few minutes after the wait began, as `surge scripts approve` does."""
        for incident in incidents:
            for run in await runtime.store.runs(incident.id):
                waiting = run.action == "script.await_approval" and run.status.value == "waiting"
                began = self._minute_of(run.started_at)
                if waiting and run.args and began is not None and minute - began >= APPROVE_AFTER:
                    script = runtime.scripts.get(str(run.args["script"]))
                    if script is not None and (run.id not in self._approved):
                        self._approved.add(run.id)
                        await approve(runtime.store, script, COMMS, self.clock(), "demo")

    def _minute_of(self, at: datetime | None) -> float | None:
        return None if at is None else (at - self.clock.start).total_seconds() / 60

    async def _resolve(self, http: aiohttp.ClientSession, incident: int) -> None:
        body = {"note": "back to normal, closing"}
        async with http.post(f"{self.url}/api/v1/incidents/{incident}/resolve", json=body) as r:
            await r.read()

    def _header(self, runtime: Runtime, app: web.Application, far_url: str) -> None:
        names = ", ".join(scenario.title for scenario, _ in self.world.scenarios)
        speed = self.clock.speed
        self.print(
            f"surge demo: {names}; seed {self.options.seed}; the clock runs {speed:g}x "
            f"({self.world.minutes:.0f} minutes in about {self.world.minutes * 60 / speed:.0f} s)"
        )
        self.print(
            f"  {len(runtime.playbooks)} playbooks, {len(runtime.scripts.all())} approved scripts, "
            f"store {self.options.folder / 'surge.db'}, config {self.options.folder / 'surge.yaml'}"
        )
        self.print(f"  metrics: simulated; people, pagers and channels: simulated at {far_url}")
        self._urls(app)
        self.print("")

    def _urls(self, app: web.Application) -> None:
        paths = {resource.canonical for resource in app.router.resources()}
        for label, path in (("status page", "/status"), ("console", "/console/")):
            if path in paths:
                self.print(f"  {label:<12} {self.url}{path}")
        self.print(f"  {'API':<12} {self.url}/api/v1/incidents   (token below)")
        self.print(f"  {'token':<12} {self.token}   (role admin)")

    def _footer(self, app: web.Application) -> None:
        self.print("")
        if self.options.serve:
            self.print("surge keeps running with the demo's incidents (Ctrl-C stops it):")
            self._urls(app)
            self.print(f"  try: surge incidents --server {self.url} --token {self.token}")


def _token() -> str:
    return f"surge_demo_{secrets.token_urlsafe(18)}"


def _address(listen: str) -> tuple[str, int]:
    """HOST:PORT; port 0 is a free port."""
    host, _, port_text = listen.rpartition(":")
    if port_text == "0" and host:
        listen = f"{host}:1"
    try:
        host, port = parse_listen(listen)
    except ValueError as error:
        raise DemoError(f"{error}; e.g. --listen 127.0.0.1:8080") from None
    if port_text == "0":
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
    return host, port


async def _serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise DemoError(
            f"cannot listen on {host}:{port}: {error.strerror}; is surge already running? "
            "Stop it, or pass --listen HOST:PORT"
        ) from None
    return runner


def _port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        return int(address[1])
    raise DemoError("the far side has no address")


async def demo(options: DemoOptions, say: Callable[[str], None]) -> int:
    with contextlib.suppress(asyncio.CancelledError):
        return await Demo(options, say).run()
    return 0
