"""Every hook in surge/plugin/spec.py, driven through a real engine (one ``test_hook_<name>``
each; test_conventions.py fails when one is missing), and how plugin failures are isolated.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from aiohttp import web

from surge.actions import ActionContext, ActionResult, ActionSpec, Arg
from surge.playbook.library import validate_path
from surge.plugin import hookimpl
from surge.store.records import Incident, IncidentStatus, RunStatus, StepRun
from surge.web.app import create_app

TWO_STEPS = """
    id: pb
    title: Two steps
    params: {who: {type: string, default: ops}}
    steps:
      - {id: first, action: probe.record, with: {value: 1}}
      - {id: second, action: probe.record, with: {value: 2}}
"""


def statuses(runs: list[StepRun]) -> list[tuple[str, int, str]]:
    return [(run.step_id, run.attempt, run.status.value) for run in runs]


# -- one test per hook --


async def test_hook_surge_register_actions(write_playbook, make_runtime, probe, wait_settled):
    class Greeter:
        name = "greeter"

        async def greet(self, ctx: ActionContext) -> ActionResult:
            return {
                "greeting": f"hello {ctx.args['who']}",
                "incident": ctx.incident.id,
                "step": ctx.step_id,
                "attempt": ctx.attempt,
                "key": ctx.idempotency_key,
            }

        @hookimpl
        def surge_register_actions(self) -> Iterable[ActionSpec]:
            who = Arg("string", required=True, description="whom to greet")
            return [ActionSpec("greeter.greet", self.greet, {"who": who}, idempotent=True)]

    write_playbook(
        "pb",
        """
        id: pb
        title: Greet
        params: {who: {type: string, default: ops}}
        steps:
          - {id: greet, action: greeter.greet, with: {who: "{{ params.who }}"}}
          - {id: echo, action: probe.record, with: {value: "{{ steps.greet.result.greeting }}"}}
    """,
    )
    runtime = await make_runtime(plugins=[Greeter()])
    assert runtime.actions.owner("greeter.greet") == "greeter"
    incident = await runtime.engine.trigger("pb", {"who": "night shift"}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert statuses(runs) == [("greet", 1, "succeeded"), ("echo", 1, "succeeded")]
    assert runs[0].result == {
        "greeting": "hello night shift",
        "incident": incident.id,
        "step": "greet",
        "attempt": 1,
        "key": f"{incident.id}:steps:greet:1",
    }
    assert probe.calls_of("probe.record")[0].args == {"value": "hello night shift"}


async def test_hook_surge_register_actions_schema_is_checked_before_a_playbook_loads(
    tmp_path, make_runtime
):
    class Strict:
        name = "strict"

        @hookimpl
        def surge_register_actions(self) -> Iterable[ActionSpec]:
            async def run(ctx: ActionContext) -> ActionResult:
                return None

            return [ActionSpec("strict.send", run, {"to": Arg("string", required=True)})]

    runtime = await make_runtime(plugins=[Strict()], start=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nsteps:\n  - {id: s, action: strict.send, with: {cc: x}}\n")
    problems = [
        problem.message for problem in validate_path(bad, runtime.actions, runtime.templates)
    ]
    assert "action 'strict.send' takes no argument 'cc'; known: to" in problems
    assert "action 'strict.send' needs argument 'to' in with" in problems


async def test_hook_surge_template_filters(write_playbook, make_runtime, probe, wait_settled):
    class Filters:
        name = "filters"

        @hookimpl
        def surge_template_filters(self) -> dict[str, Callable[..., Any]]:
            return {"shout": lambda value: f"{str(value).upper()}!"}

    write_playbook(
        "pb",
        """
        id: pb
        title: Filters
        params: {who: {type: string, default: ops}}
        steps:
          - {id: say, action: probe.record, with: {value: "{{ params.who | shout }}"}}
    """,
    )
    runtime = await make_runtime(plugins=[Filters()])
    incident = await runtime.engine.trigger("pb", {"who": "{{ 7*7 }} team"}, actor="test")
    assert statuses(await wait_settled(runtime, incident.id)) == [("say", 1, "succeeded")]
    # the filter got the param as data: it stays literal, only upper-cased
    assert probe.calls_of("probe.record")[0].args == {"value": "{{ 7*7 }} TEAM!"}


async def test_hook_surge_incident_opened(write_playbook, make_runtime, wait_settled):
    seen: list[tuple[int, str, str, str]] = []

    class Opened:
        name = "opened"

        @hookimpl
        async def surge_incident_opened(self, incident: Incident) -> None:
            seen.append(
                (incident.id, incident.status.value, incident.playbook_id, incident.params["who"])
            )

    write_playbook("pb", TWO_STEPS)
    runtime = await make_runtime(plugins=[Opened()])
    first = await runtime.engine.trigger("pb", {"who": "alice"}, actor="test")
    second = await runtime.engine.trigger("pb", {}, actor="test")
    await runtime.engine.events.drain()
    assert sorted(seen) == [
        (first.id, "triggered", "pb", "alice"),
        (second.id, "triggered", "pb", "ops"),
    ]
    await wait_settled(runtime, second.id)
    assert len(seen) == 2  # once per incident, not per step


async def test_hook_surge_incident_status_changed(
    write_playbook, make_runtime, wait_settled, eventually
):
    seen: list[tuple[int, str, str, str]] = []
    actors: list[str] = []

    class Changes:
        name = "changes"

        @hookimpl
        def surge_incident_status_changed(
            self, incident: Incident, previous: IncidentStatus, actor: str
        ) -> None:
            seen.append((incident.id, previous.value, incident.status.value, actor))

    class ActorOnly:  # an implementation may take only the arguments it needs
        name = "actor-only"

        @hookimpl
        async def surge_incident_status_changed(self, actor: str) -> None:
            actors.append(actor)

    write_playbook("pb", TWO_STEPS)
    write_playbook(
        "self",
        """
        id: self
        title: Mitigates itself
        steps:
          - {id: mitigate, action: set_status, with: {status: mitigated, reason: scaled up}}
    """,
    )
    runtime = await make_runtime(plugins=[Changes(), ActorOnly()])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await runtime.engine.change_status(incident.id, IncidentStatus.ACKNOWLEDGED, "alice")
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "bob", "fixed")
    other = await runtime.engine.trigger("self", {}, actor="test")
    await wait_settled(runtime, other.id)
    await eventually(lambda: len(seen) == 3 and len(actors) == 3, what="three changes told")
    # in order for each incident; the two incidents' hooks run side by side
    assert sorted(seen, key=lambda change: change[0]) == [
        (incident.id, "triggered", "acknowledged", "alice"),
        (incident.id, "acknowledged", "resolved", "bob"),
        (other.id, "triggered", "mitigated", "playbook"),
    ]
    assert sorted(actors) == ["alice", "bob", "playbook"]


async def test_hook_surge_step_finished(write_playbook, make_runtime, eventually):
    seen: list[tuple[str, int, str, Any]] = []

    class Finished:
        name = "finished"

        @hookimpl
        async def surge_step_finished(self, incident: Incident, run: StepRun) -> None:
            assert run.incident_id == incident.id
            seen.append((run.step_id, run.attempt, run.status.value, run.result or run.error))

    write_playbook(
        "pb",
        """
        id: pb
        title: Finished
        steps:
          - {id: flaky, action: probe.fail, with: {times: 1}, retry: {attempts: 2, backoff: 10ms}}
          - {id: skipped, action: probe.record, when: "false"}
          - {id: pause, action: wait, with: {for: 50ms}}
          - {id: last, action: probe.record, with: {value: done}}
    """,
    )
    runtime = await make_runtime(plugins=[Finished()])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await eventually(lambda: len(seen) == 5, what="five finished attempts")
    assert [entry[:3] for entry in seen] == [
        ("flaky", 1, "failed"),
        ("flaky", 2, "succeeded"),
        ("skipped", 1, "skipped"),
        ("pause", 1, "succeeded"),
        ("last", 1, "succeeded"),
    ]
    assert seen[0][3] == "planned failure 1"
    assert seen[4][3] == {"echo": {"value": "done"}}
    stored = {run.step_id: run.status for run in await runtime.store.runs(incident.id)}
    assert stored["last"] is RunStatus.SUCCEEDED


async def test_hook_surge_web_routes(config, aiohttp_client):  # the store outlives the app
    class Routes:
        name = "routes"

        async def hello(self, request: web.Request) -> web.Response:
            return web.json_response({"hello": request.match_info["who"]})

        @hookimpl
        def surge_web_routes(self, app: web.Application) -> None:
            app.router.add_get("/plugins/routes/hello/{who}", self.hello)

    client = await aiohttp_client(
        create_app(config, extra_plugins=[Routes()], load_entry_points=False)
    )
    response = await client.get("/plugins/routes/hello/world")  # no token: the plugin's call
    assert response.status == 200
    assert await response.json() == {"hello": "world"}
    assert (await client.get("/plugins/routes/nope")).status == 404


async def test_hook_surge_register_pagers(tmp_path, smtp_server, make_runtime, monkeypatch):
    """A plugin's pager type, configured under pagers:, pages the rota's people."""
    from support.paging import ROTA, Clock, World, approve_scripts, wait_for_run

    from surge.paging.spec import Page, PagerSpec
    from surge.plugin.manager import PluginError
    from surge.runtime import build_runtime

    class Beeper:
        name = "beeper"

        def __init__(self) -> None:
            self.sent: list[tuple[str, str, str, str]] = []

        async def send(self, options: Any, page: Page, http: Any) -> dict[str, Any]:
            self.sent.append((options, page.address, page.subject, page.key))
            return {"beeped": True}

        @hookimpl
        def surge_register_pagers(self) -> Iterable[PagerSpec]:
            def configure(node: Any, check: Any, what: str, config: Any) -> str | None:
                fields = check.keys(node, what, ("type", "tone"), ("tone",))
                tone = fields.get("tone") if fields else None
                return check.string(tone, f"{what}.tone") if tone else None

            return [PagerSpec("beeper", configure, self.send, safe_to_resend=True)]

    world = World(tmp_path / "w", smtp_server, f"sqlite:///{tmp_path}/w/surge.db")
    (world.folder / "playbooks").mkdir(parents=True)
    (world.folder / "playbooks" / "pb.yaml").write_text(
        "id: pb\ntitle: Beep\nsteps:\n  - {id: page, action: page, with: {policy: standby-shift}}\n"
    )
    import shutil
    from pathlib import Path

    shutil.copytree(Path(__file__).parents[2] / "config" / "scripts", world.folder / "scripts")
    rota = ROTA.replace("contact: [{email: ann@example.test}]", "contact: [{beep: '4711'}]")
    config = world.config(pagers="pagers:\n  beep: {type: beeper, tone: high}\n", rota=rota)
    beeper = Beeper()
    runtime = await make_runtime(config=config, plugins=[beeper], start=False)
    runtime.engine.clock = Clock()  # during Ann's shift
    await approve_scripts(runtime)
    await runtime.engine.start()
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    await wait_for_run(runtime, incident.id, "page", RunStatus.WAITING)
    [(tone, address, subject, key)] = beeper.sent
    assert (tone, address) == ("high", "4711")  # the options configure() read, the address
    assert subject == f"[surge page] Beep (incident {incident.id})"
    assert key == f"{incident.id}:steps:page:1/0.0/ann/0"
    bad = world.config(pagers="pagers:\n  beep: {type: beeper, volume: 11}\n", rota=rota)
    built = build_runtime(bad, extra_plugins=[Beeper()], load_entry_points=False)
    problems = [str(problem) for problem in built.problems]
    assert any("unknown key 'volume' in pagers.beep" in problem for problem in problems)
    assert any("pagers.beep is missing required key 'tone'" in problem for problem in problems)

    class Clash:
        name = "clash"

        @hookimpl
        def surge_register_pagers(self) -> Iterable[PagerSpec]:
            return [PagerSpec("email", lambda *a: None, beeper.send)]

    with pytest.raises(PluginError, match=r"pager type .email. from .* is already registered by"):
        build_runtime(config, extra_plugins=[Clash()], load_entry_points=False)


# -- isolation --


class OpenedHook:
    """incident_opened that records, raises, hangs (async) or blocks its thread (def)."""

    def __init__(self, name: str, behaviour: str) -> None:
        self.name = name
        self.behaviour = behaviour
        self.seen: list[int] = []
        self.release = threading.Event()

    @hookimpl
    def surge_incident_opened(self, incident: Incident) -> Any:
        if self.behaviour == "raise":
            raise ConnectionError("chat service refused the connection")
        if self.behaviour == "block":
            self.release.wait(30)
        if self.behaviour == "hang":
            return asyncio.Event().wait()
        self.seen.append(incident.id)
        return None


@pytest.mark.parametrize("hang", ["hang", "block"])
async def test_a_raising_and_a_hanging_plugin_do_not_stop_the_others_or_the_steps(
    hang, write_playbook, make_runtime, wait_settled, metric
):
    broken, stuck, fine = (
        OpenedHook("broken", "raise"),
        OpenedHook("stuck", hang),
        OpenedHook("fine", "record"),
    )
    write_playbook("pb", TWO_STEPS)
    runtime = await make_runtime(plugins=[broken, stuck, fine])
    runtime.plugins.hook_timeout = 0.3
    try:
        started = asyncio.get_running_loop().time()
        incident = await runtime.engine.trigger("pb", {}, actor="test")
        assert asyncio.get_running_loop().time() - started < 0.3  # hooks run in the background
        await runtime.engine.events.drain()
        assert fine.seen == [incident.id]
        runs = await wait_settled(runtime, incident.id)
    finally:
        stuck.release.set()
    assert statuses(runs) == [("first", 1, "succeeded"), ("second", 1, "succeeded")]
    errors = [
        entry for entry in await runtime.store.timeline(incident.id) if entry.kind == "plugin.error"
    ]
    assert sorted((entry.actor, entry.message) for entry in errors) == [
        (
            "plugin:broken",
            "plugin broken failed in surge_incident_opened: chat service refused the connection",
        ),
        (
            "plugin:stuck",
            "plugin stuck failed in surge_incident_opened: did not finish within 0.3s",
        ),
    ]
    assert metric(runtime, "surge_plugin_errors_total", plugin="broken") == 1
    assert metric(runtime, "surge_plugin_errors_total", plugin="stuck") == 1
    assert metric(runtime, "surge_plugin_errors_total", plugin="fine") == 0


async def test_a_failing_step_finished_hook_is_recorded_per_step(
    write_playbook, make_runtime, wait_settled, eventually, metric
):
    class Grumpy:
        name = "grumpy"

        @hookimpl
        async def surge_step_finished(self, run: StepRun) -> None:
            raise ValueError(f"cannot handle {run.step_id}")

    write_playbook("pb", TWO_STEPS)
    runtime = await make_runtime(plugins=[Grumpy()])
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    assert statuses(await wait_settled(runtime, incident.id))[-1] == ("second", 1, "succeeded")

    async def notes() -> list[str]:
        timeline = await runtime.store.timeline(incident.id)
        return [entry.message for entry in timeline if entry.kind == "plugin.error"]

    await eventually(lambda: _has(notes(), 2), what="two plugin.error notes")
    assert sorted(await notes()) == [
        "plugin grumpy failed in surge_step_finished: cannot handle first",
        "plugin grumpy failed in surge_step_finished: cannot handle second",
    ]
    assert metric(runtime, "surge_plugin_errors_total", plugin="grumpy") == 2


async def _has(found: Any, count: int) -> bool:
    return len(await found) >= count


async def test_hook_surge_register_channel_providers(
    tmp_path, config, write_playbook, make_runtime, wait_settled
):
    """A plugin's provider type, bound by config, is what channel.open and channel.post call."""
    from surge.channels.provider import (
        ChannelProvider,
        Message,
        OpenRequest,
        Posted,
        ProviderConnection,
        ProviderType,
        Room,
    )
    from surge.config import parse_config
    from surge.scripts.approval import approve

    calls: list[tuple[str, str]] = []

    class Board(ChannelProvider):
        async def open(self, request: OpenRequest) -> Room:
            calls.append(("open", request.name))
            return Room("board-1", request.name, created=True)

        async def post(self, room: Room | None, message: Message) -> Posted:
            calls.append(("post", f"{room.id if room else '-'}: {message.text}"))
            return Posted(f"note-{len(calls)}", room.id if room else "")

    class BoardConnection(ProviderConnection):
        def __init__(self, config, check) -> None:
            pass

        def bind(self, binding, check) -> ChannelProvider | None:
            check.keys(binding.node, f"channels.{binding.name}", ("colour",))
            return Board()

    class Boards:
        name = "boards"

        @hookimpl
        def surge_register_channel_providers(self):
            return [ProviderType("board", BoardConnection, "a whiteboard")]

    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "hello.yaml").write_text(
        "id: hello\ntitle: Hello\nlocales: {en: 'Hello {{ who }}'}\n"
        "vars: {who: {type: string, required: true}}\n"
    )
    text = (
        f"store: {config.store}\nplaybooks: {config.playbooks}\nscripts: {{folder: {scripts}}}\n"
        "channels: {wall: {provider: board, colour: red}}\n"
    )
    write_playbook(
        "pb",
        """
        id: pb
        title: Board
        steps:
          - {id: open, action: channel.open, with: {channel: wall, name: war-room}}
          - {id: say, action: channel.post, with: {channel: wall, script: hello,
             vars: {who: "{{ incident.id }}"}}}
        """,
    )
    runtime = await make_runtime(config=parse_config(text, "c.yaml"), plugins=[Boards()])
    assert runtime.plugins.channel_providers()["board"].description == "a whiteboard"
    await approve(runtime.store, runtime.scripts.get("hello"), "ana", runtime.engine.clock())
    incident = await runtime.engine.trigger("pb", {}, actor="test")
    runs = await wait_settled(runtime, incident.id)
    assert [run.status.value for run in runs] == ["succeeded", "succeeded"]
    assert calls == [("open", "war-room"), ("post", f"board-1: Hello {incident.id}")]
    assert runs[1].result["ref"] == "note-2" and runs[1].result["provider"] == "board"


NOTICE_PLAYBOOK = """
    id: outage
    title: Outage
    steps:
      - id: notice
        action: notice.publish
        with:
          script: outage-initial
          components: {web-chat: major_outage}
          vars: {service: Web chat, impact: no chats, eta: "15:30", workaround: call us}
    on_resolve:
      - id: resolved
        action: notice.resolve
        with:
          script: outage-resolved
          vars: {service: Web chat, resolved_at: "15:20", contact: the hotline}
"""


async def notices_runtime(make_runtime, write_playbook, config, plugins):
    import dataclasses

    from notices.conftest import COMPONENTS, SCRIPTS, approve_all

    from surge.config import ScriptSettings

    write_playbook("outage", NOTICE_PLAYBOOK)
    changed = dataclasses.replace(config, scripts=ScriptSettings(SCRIPTS), components=COMPONENTS)
    runtime = await make_runtime(plugins=plugins, config=changed)
    await approve_all(runtime)
    return runtime


async def test_hook_surge_notice_published(make_runtime, write_playbook, config, wait_settled):
    seen: list[tuple[int, int, str, str, str]] = []

    class Subscriber:
        name = "subscriber"

        @hookimpl
        async def surge_notice_published(self, notice: Any, version: Any) -> None:
            seen.append(
                (notice.id, version.number, notice.state, version.state, version.body["en"][:7])
            )

    class Broken:
        name = "broken"

        @hookimpl
        def surge_notice_published(self, notice: Any, version: Any) -> None:
            raise RuntimeError("the mail server is down")

    runtime = await notices_runtime(make_runtime, write_playbook, config, [Subscriber(), Broken()])
    incident = await runtime.engine.trigger("outage", {}, actor="test")
    await wait_settled(runtime, incident.id)
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "lee", "fixed")
    await wait_settled(runtime, incident.id)
    await runtime.engine.events.drain()
    assert seen == [(1, 1, "investigating", "investigating", "Web cha"),
                    (1, 2, "resolved", "resolved", "Web cha")]  # fmt: skip
    versions = await runtime.store.notice_versions(1)
    assert all(version.announced_at is not None for version in versions)
    timeline = await runtime.store.timeline(incident.id)
    failures = [entry.message for entry in timeline if entry.kind == "plugin.error"]
    failed = "plugin broken failed in surge_notice_published: the mail server is down"
    assert failures == [failed, failed]


async def test_hook_surge_notice_drafted(make_runtime, write_playbook, config):
    from notices.conftest import OUTAGE

    from surge.notices.service import Draft

    seen: list[tuple[int, int, str, str]] = []

    class Reviewer:
        name = "reviewer"

        @hookimpl
        def surge_notice_drafted(self, notice: Any, version: Any) -> None:  # in a thread
            seen.append((notice.id, version.number, version.status, version.author))

    runtime = await notices_runtime(make_runtime, write_playbook, config, [Reviewer()])
    notices = runtime.engine.services.notices
    draft = await notices.draft(Draft("outage-initial", OUTAGE), author="lee")
    await notices.publish(draft.notice.id, draft.version.number, by="comms-lead")
    await runtime.engine.events.drain()
    assert seen == [(draft.notice.id, 1, "draft", "lee")]  # publishing is not drafting
