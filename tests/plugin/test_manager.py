"""The plugin manager: loading, validation, listing, and calling event hooks in isolation."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterable
from typing import Any

import pluggy
import pytest

import surge
from surge.actions import ActionContext, ActionRegistry, ActionResult, ActionSpec
from surge.plugin import hookimpl
from surge.plugin.manager import HookTimeout, PluginError, PluginManager
from surge.store.records import Incident


async def _nothing(ctx: ActionContext) -> ActionResult:
    return None


class Actions:
    """A plugin that registers the named actions."""

    def __init__(self, name: str, *actions: str) -> None:
        self.name = name
        self.actions = actions

    @hookimpl
    def surge_register_actions(self) -> Iterable[ActionSpec]:
        return [ActionSpec(action, _nothing) for action in self.actions]


class Opened:
    """A plugin whose incident_opened hook records, raises, hangs or blocks."""

    def __init__(self, name: str, behaviour: str = "record") -> None:
        self.name = name
        self.behaviour = behaviour
        self.seen: list[int] = []
        self.release = threading.Event()
        self.thread: int | None = None

    @hookimpl
    async def surge_incident_opened(self, incident: Incident) -> None:
        if self.behaviour == "raise":
            raise RuntimeError(f"{self.name} is broken")
        if self.behaviour == "hang":
            await asyncio.Event().wait()
        if self.behaviour == "stubborn":  # ignores being cancelled
            while not self.release.is_set():
                try:
                    await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    continue
        self.seen.append(incident.id)


class Blocking:
    """A plain ``def`` hook that blocks its thread until released."""

    name = "blocking"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.thread: int | None = None

    @hookimpl
    def surge_incident_opened(self, incident: Incident) -> None:
        self.thread = threading.get_ident()
        self.release.wait(30)


class Errors:
    """An ``on_error`` sink that records what it is given."""

    def __init__(self) -> None:
        self.reported: list[tuple[str, str, BaseException, Incident | None]] = []

    async def __call__(
        self, plugin: str, hook: str, error: BaseException, incident: Incident | None
    ) -> None:
        self.reported.append((plugin, hook, error, incident))


def plugin_source(hooks: str) -> str:
    return "from surge.plugin import hookimpl\n" + hooks


ACTION_PLUGIN = plugin_source("""
from surge.actions import ActionSpec

async def _ping(ctx):
    return {"pong": True}

@hookimpl
def surge_register_actions():
    return [ActionSpec("demo.ping", _ping, idempotent=True)]
""")


# -- loading --


def test_load_order_is_entry_points_then_builtins_then_passed_in_then_check_pending(
    make_distribution, monkeypatch
):
    demo = make_distribution(ACTION_PLUGIN)
    steps: list[str] = []
    register, check_pending = pluggy.PluginManager.register, pluggy.PluginManager.check_pending

    def spy_register(self: pluggy.PluginManager, plugin: object, name: str | None = None) -> Any:
        steps.append(f"register {name}")
        return register(self, plugin, name)

    def spy_check_pending(self: pluggy.PluginManager) -> None:
        steps.append("check_pending")
        check_pending(self)

    monkeypatch.setattr(pluggy.PluginManager, "register", spy_register)
    monkeypatch.setattr(pluggy.PluginManager, "check_pending", spy_check_pending)
    PluginManager(load_entry_points=True, extra=[Actions("extra")])
    ours = (f"register {demo.point}", "register builtin.", "register extra", "check_pending")
    assert [step for step in steps if step.startswith(ours)] == [
        f"register {demo.point}",
        "register builtin.log",
        "register builtin.wait",
        "register builtin.set_status",
        "register builtin.webhook",
        "register builtin.command",
        "register builtin.script",
        "register builtin.channels",
        "register builtin.hotline",
        "register builtin.channel_webhook",
        "register builtin.channel_email",
        "register builtin.pagers",
        "register builtin.page",
        "register builtin.call_in",
        "register builtin.chain",
        "register builtin.customers",
        "register builtin.report",
        "register builtin.notices",
        "register extra",
        "check_pending",
    ]


def test_a_misspelt_hook_fails_at_start_up():
    class Misspelt:
        name = "misspelt"

        @hookimpl
        def surge_incident_openned(self, incident: Incident) -> None:
            pass

    with pytest.raises(pluggy.PluginValidationError) as caught:
        PluginManager(load_entry_points=False, extra=[Misspelt()])
    message = str(caught.value)
    assert "'misspelt'" in message and "unknown hook 'surge_incident_openned'" in message
    assert "did you mean surge_incident_opened?" in message
    assert isinstance(caught.value, PluginError)


def test_a_misspelt_hook_from_an_entry_point_names_the_entry_point(make_distribution):
    demo = make_distribution(plugin_source("@hookimpl\ndef surge_step_finishd(run):\n    pass\n"))
    with pytest.raises(pluggy.PluginValidationError) as caught:
        PluginManager(load_entry_points=True)
    message = str(caught.value)
    assert f"plugin {demo.point!r}" in message
    assert f"entry point `{demo.point} = {demo.module}` from {demo.name} 0.1" in message
    assert "did you mean surge_step_finished?" in message


def test_an_entry_point_plugin_is_loaded_with_its_version_and_actions(make_distribution):
    demo = make_distribution(ACTION_PLUGIN, version="1.4.2")
    manager = PluginManager(load_entry_points=True)
    [info] = [info for info in manager.plugins() if info.name == demo.point]
    assert (info.version, info.builtin, info.hooks) == ("1.4.2", False, ("surge_register_actions",))
    registry = ActionRegistry()
    manager.register_actions(registry)
    assert "demo.ping" in registry and registry.owner("demo.ping") == demo.point


def test_a_distribution_shadowed_further_down_sys_path_is_not_loaded(
    make_distribution, tmp_path, monkeypatch
):
    demo = make_distribution(ACTION_PLUGIN, version="2.0")
    shadowed = tmp_path / "older" / f"{demo.module}-1.0.dist-info"
    shadowed.mkdir(parents=True)
    (shadowed / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {demo.name}\nVersion: 1.0\n")
    (shadowed / "entry_points.txt").write_text("[surge]\nshadow = surge_gone_long_ago\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path / "older")])
    versions = {info.name: info.version for info in PluginManager().plugins()}
    assert versions[demo.point] == "2.0" and "shadow" not in versions


def test_entry_points_are_not_loaded_when_not_asked_for(make_distribution):
    demo = make_distribution(ACTION_PLUGIN)
    names = [info.name for info in PluginManager(load_entry_points=False).plugins()]
    assert demo.point not in names and "builtin.log" in names


def test_an_entry_point_that_fails_to_import_stops_start_up_naming_it(make_distribution):
    demo = make_distribution("import surge_no_such_module_anywhere\n", point="broken")
    with pytest.raises(PluginError) as caught:
        PluginManager(load_entry_points=True)
    message = str(caught.value)
    assert message.startswith(f"plugin 'broken' (entry point `broken = {demo.module}` from ")
    assert "failed to load: ModuleNotFoundError" in message
    assert "surge_no_such_module_anywhere" in message


def test_an_entry_point_whose_object_is_missing_stops_start_up(make_distribution):
    demo = make_distribution(ACTION_PLUGIN, entry="{module}:nowhere", point="absent")
    with pytest.raises(
        PluginError,
        match=rf"plugin 'absent' \(entry point `absent = {demo.module}:"
        r"nowhere`.*failed to load: AttributeError",
    ):
        PluginManager(load_entry_points=True)


def test_a_hook_with_arguments_the_spec_lacks_stops_start_up(make_distribution):
    demo = make_distribution(
        plugin_source("@hookimpl\ndef surge_incident_opened(incident, colour):\n    pass\n")
    )
    with pytest.raises(pluggy.PluginValidationError) as caught:
        PluginManager(load_entry_points=True)
    assert f"plugin {demo.point!r} (entry point" in str(caught.value)
    assert "colour" in str(caught.value)


def test_a_hook_without_the_marker_stops_start_up():
    class Unmarked:
        name = "unmarked"

        def surge_incident_opened(self, incident: Incident) -> None:
            pass

    with pytest.raises(PluginError, match=r"'unmarked'.*surge_incident_opened lacks @surge"):
        PluginManager(load_entry_points=False, extra=[Unmarked()])


def test_a_wrapper_hook_stops_start_up():
    class Wrapper:
        name = "wrapper"

        @hookimpl(wrapper=True)
        def surge_incident_opened(self, incident: Incident) -> Any:
            return (yield)

    with pytest.raises(PluginError, match=r"'wrapper'.*surge_incident_opened is a wrapper"):
        PluginManager(load_entry_points=False, extra=[Wrapper()])


def test_two_plugins_with_one_name_stop_start_up_but_one_plugin_twice_is_fine():
    twice = Actions("twice", "a.one")
    manager = PluginManager(load_entry_points=False, extra=[twice, twice])
    assert [info.name for info in manager.plugins()].count("twice") == 1
    with pytest.raises(PluginError, match="two plugins named 'same': passed in and passed in"):
        PluginManager(load_entry_points=False, extra=[Actions("same"), Actions("same")])


def test_two_managers_do_not_share_plugins_or_settings(an_incident):
    first_plugin, second_plugin = Opened("first"), Opened("second")
    first = PluginManager(load_entry_points=False, extra=[first_plugin], hook_timeout=1)
    second = PluginManager(load_entry_points=False, extra=[second_plugin])
    names = {manager: {info.name for info in manager.plugins()} for manager in (first, second)}
    assert "first" in names[first] and "first" not in names[second]
    assert "second" in names[second] and "second" not in names[first]
    assert (first.hook_timeout, second.hook_timeout) == (1, 10.0)
    asyncio.run(first.incident_opened(an_incident(3)))
    assert (first_plugin.seen, second_plugin.seen) == ([3], [])


def test_a_duplicate_action_name_names_both_owners():
    manager = PluginManager(
        load_entry_points=False,
        extra=[Actions("alpha", "shared.send"), Actions("beta", "shared.send")],
    )
    with pytest.raises(PluginError) as caught:
        manager.register_actions(ActionRegistry())
    assert "'shared.send'" in str(caught.value)
    assert "alpha" in str(caught.value) and "beta" in str(caught.value)


def test_an_action_named_like_a_builtin_names_the_builtin():
    manager = PluginManager(load_entry_points=False, extra=[Actions("mine", "log")])
    with pytest.raises(PluginError) as caught:
        manager.register_actions(ActionRegistry())
    message = str(caught.value)
    assert message.startswith("action 'log' from ")
    assert "builtin.log" in message and "mine" in message


def test_plugins_lists_name_version_hooks_and_builtin():
    class Versioned(Opened):
        __version__ = "2.3"

        @hookimpl
        def surge_template_filters(self) -> dict[str, Any]:
            return {}

    infos = PluginManager(load_entry_points=False, extra=[Versioned("versioned")]).plugins()
    assert infos[0].name == "versioned" and not infos[0].builtin
    assert infos[0].version == "2.3"
    assert infos[0].hooks == ("surge_incident_opened", "surge_template_filters")
    builtins = {info.name: info for info in infos[1:]}
    assert set(builtins) == {
        "builtin.log",
        "builtin.wait",
        "builtin.set_status",
        "builtin.webhook",
        "builtin.command",
        "builtin.script",
        "builtin.channels",
        "builtin.hotline",
        "builtin.channel_webhook",
        "builtin.channel_email",
        "builtin.pagers",
        "builtin.page",
        "builtin.call_in",
        "builtin.chain",
        "builtin.customers",
        "builtin.report",
        "builtin.notices",
    }
    assert all(info.builtin and info.version == surge.__version__ for info in builtins.values())
    assert builtins["builtin.webhook"].hooks == ("surge_register_actions",)


# -- start-up hooks --


def test_a_start_up_hook_that_raises_stops_start_up_naming_the_plugin():
    class Broken:
        name = "broken"

        @hookimpl
        def surge_register_actions(self) -> Iterable[ActionSpec]:
            raise KeyError("missing setting")

    manager = PluginManager(load_entry_points=False, extra=[Broken()])
    with pytest.raises(
        PluginError,
        match="plugin 'broken' \\(passed in\\) failed in "
        "surge_register_actions: KeyError: 'missing setting'",
    ):
        manager.register_actions(ActionRegistry())


def test_an_action_that_is_not_an_action_spec_is_refused():
    class Sloppy:
        name = "sloppy"

        @hookimpl
        def surge_register_actions(self) -> Iterable[Any]:
            return [{"name": "sloppy.send"}]

    manager = PluginManager(load_entry_points=False, extra=[Sloppy()])
    with pytest.raises(PluginError, match=r"'sloppy'.*returned \{'name'.*not an ActionSpec"):
        manager.register_actions(ActionRegistry())


def test_an_async_start_up_hook_is_refused():
    class Eager:
        name = "eager"

        @hookimpl
        async def surge_register_actions(self) -> Iterable[ActionSpec]:
            return []

    manager = PluginManager(load_entry_points=False, extra=[Eager()])
    with pytest.raises(PluginError, match=r"'eager'.*must return its result, not an awaitable"):
        manager.register_actions(ActionRegistry())


@pytest.mark.parametrize(
    ("filters", "problem"),
    [
        ([{"upper": str.upper}], "filter 'upper' from plugin 'f0' .* Jinja2's built-in filter"),
        (
            [{"shout": str.upper}, {"shout": str.lower}],
            "filter 'shout' from plugin 'f0' .* already registered by f1",
        ),
        ([{"shout": "not callable"}], "filter 'shout' .* must map a name to a callable"),
    ],
)
def test_template_filters_may_not_clash_or_replace_jinjas(filters, problem):
    class Filters:
        def __init__(self, name: str, given: dict[str, Any]) -> None:
            self.name, self.given = name, given

        @hookimpl
        def surge_template_filters(self) -> dict[str, Any]:
            return self.given

    plugins = [Filters(f"f{number}", given) for number, given in enumerate(filters)]
    with pytest.raises(PluginError, match=problem):
        PluginManager(load_entry_points=False, extra=plugins).template_filters()


# -- event hooks: isolation and timeouts --


async def test_a_raising_and_a_hanging_plugin_are_reported_and_the_others_still_run(an_incident):
    broken, stuck, fine = Opened("broken", "raise"), Opened("stuck", "hang"), Opened("fine")
    manager = PluginManager(load_entry_points=False, extra=[broken, stuck, fine], hook_timeout=0.2)
    manager.on_error = errors = Errors()
    incident = an_incident(5)
    started = asyncio.get_running_loop().time()
    await manager.incident_opened(incident)
    assert asyncio.get_running_loop().time() - started < 2
    assert fine.seen == [5]
    reported = {plugin: (hook, error, seen) for plugin, hook, error, seen in errors.reported}
    assert set(reported) == {"broken", "stuck"}
    assert reported["broken"][0] == "surge_incident_opened"
    assert str(reported["broken"][1]) == "broken is broken"
    assert isinstance(reported["stuck"][1], HookTimeout)
    assert str(reported["stuck"][1]) == "did not finish within 0.2s"
    assert reported["stuck"][2] is incident


async def test_a_plugin_that_ignores_cancellation_is_still_cut_off(an_incident):
    stubborn = Opened("stubborn", "stubborn")
    manager = PluginManager(load_entry_points=False, extra=[stubborn], hook_timeout=0.1)
    manager.on_error = errors = Errors()
    try:
        await asyncio.wait_for(manager.incident_opened(an_incident()), timeout=2)
        assert [type(error) for _, _, error, _ in errors.reported] == [HookTimeout]
    finally:
        stubborn.release.set()


async def test_a_blocking_def_hook_runs_off_the_event_loop_and_is_cut_off(an_incident):
    blocking = Blocking()
    manager = PluginManager(load_entry_points=False, extra=[blocking], hook_timeout=0.3)
    manager.on_error = errors = Errors()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await manager.incident_opened(an_incident())
    finally:
        ticker.cancel()
        blocking.release.set()
    assert ticks >= 5, "the event loop was blocked while the hook ran"
    assert blocking.thread is not None and blocking.thread != threading.get_ident()
    assert [(plugin, type(error)) for plugin, _, error, _ in errors.reported] == [
        ("blocking", HookTimeout)
    ]


async def test_a_def_hook_may_return_an_awaitable(an_incident):
    seen: list[str] = []

    class Deferred:
        name = "deferred"

        async def _later(self, incident: Incident) -> None:
            seen.append(f"later {incident.id}")

        @hookimpl
        def surge_incident_opened(self, incident: Incident) -> Any:
            return self._later(incident)

    await PluginManager(load_entry_points=False, extra=[Deferred()]).incident_opened(an_incident(9))
    assert seen == ["later 9"]


async def test_a_plugin_that_exits_or_cancels_itself_is_reported_not_obeyed(an_incident):
    class Exits:
        name = "exits"

        @hookimpl
        async def surge_incident_opened(self, incident: Incident) -> None:
            raise SystemExit(3)

    class Cancels:
        name = "cancels"

        @hookimpl
        async def surge_incident_opened(self, incident: Incident) -> None:
            raise asyncio.CancelledError

    manager = PluginManager(load_entry_points=False, extra=[Exits(), Cancels()])
    manager.on_error = errors = Errors()
    await manager.incident_opened(an_incident())
    reported = {plugin: error for plugin, _, error, _ in errors.reported}
    assert str(reported["exits"]) == "the plugin called sys.exit(3)"
    assert isinstance(reported["cancels"], asyncio.CancelledError)


async def test_cancelling_the_caller_is_not_swallowed(an_incident):
    stuck = Opened("stuck", "hang")
    manager = PluginManager(load_entry_points=False, extra=[stuck], hook_timeout=30)
    manager.on_error = errors = Errors()
    call = asyncio.create_task(manager.incident_opened(an_incident()))
    await asyncio.sleep(0)  # let it start
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert errors.reported == []


async def test_a_failing_error_sink_does_not_escape(an_incident, caplog):
    manager = PluginManager(load_entry_points=False, extra=[Opened("broken", "raise")])

    def sink(plugin: str, hook: str, error: BaseException, incident: Incident | None) -> None:
        raise OSError("the store is gone")

    manager.on_error = sink
    await manager.incident_opened(an_incident())
    assert "could not record the failure of plugin broken" in caplog.text


def test_hook_timeout_must_be_positive():
    with pytest.raises(ValueError, match="hook_timeout"):
        PluginManager(load_entry_points=False, hook_timeout=0)
