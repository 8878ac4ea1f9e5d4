"""Putting surge together from its config: plugins, actions, playbooks, store, engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from surge.actions import ActionRegistry
from surge.config import DEFAULT_SCRIPTS, Config
from surge.engine.engine import Engine
from surge.metrics import Metrics
from surge.playbook.library import PlaybookLibrary
from surge.plugin.manager import PluginManager
from surge.replicas import Leader, Wakeups
from surge.scripts.active import Scripts
from surge.scripts.library import ScriptLibrary
from surge.store import open_store
from surge.store.base import Store
from surge.templating import Templates
from surge.triggers.service import Triggers
from surge.yamlpos import YamlProblem


@dataclass
class Runtime:
    """One surge instance's parts. Build with ``build_runtime``, then ``await open()``."""

    config: Config
    plugins: PluginManager
    actions: ActionRegistry
    templates: Templates
    playbooks: PlaybookLibrary
    store: Store
    engine: Engine
    triggers: Triggers
    leader: Leader
    problems: list[YamlProblem] = field(default_factory=list)
    scripts: ScriptLibrary = field(default_factory=ScriptLibrary)
    wakeups: Wakeups | None = None

    async def open(self) -> None:
        await self.store.open()

    async def start(self) -> None:
        """Run the engine, the leader election, the wake-ups on other replicas' changes and
        the metric watcher (the server does; the CLI does not)."""
        await self.engine.start()
        await self.leader.start()
        self.wakeups = Wakeups(
            self.store.changes(self.config.replicas.change_poll), self.engine.wake
        )
        await self.wakeups.start()
        await self.triggers.start()

    async def close(self) -> None:
        await self.triggers.stop()
        if self.wakeups is not None:
            await self.wakeups.stop()
        await self.leader.stop()
        if self.engine.running:
            await self.engine.stop()
        else:
            await self.engine.events.drain()
        await self.store.close()


def build_runtime(
    config: Config, *, extra_plugins: Iterable[object] = (), load_entry_points: bool = True
) -> Runtime:
    """Load plugins, playbooks and response scripts; nothing is opened yet.

    Playbooks and scripts that fail validation are left out and listed in ``problems``.
    """
    plugins = PluginManager(
        load_entry_points=load_entry_points,
        extra=extra_plugins,
        hook_timeout=config.engine.hook_timeout,
    )
    actions = ActionRegistry()
    plugins.register_actions(actions)
    templates = Templates(plugins.template_filters())
    playbooks, problems = PlaybookLibrary.load(config.playbooks, actions, templates)
    scripts, script_problems = load_scripts(config, templates)
    store = open_store(config.store)
    engine = Engine(config, store, plugins, playbooks, actions, templates, Metrics())
    engine.services.scripts = Scripts(scripts, store, templates)
    leader = Leader(store, engine.id, config.replicas)
    triggers = Triggers(engine, config, leader)
    return Runtime(
        config,
        plugins,
        actions,
        templates,
        playbooks,
        store,
        engine,
        triggers,
        leader,
        [*problems, *script_problems],
        scripts,
    )


def load_scripts(config: Config, templates: Templates) -> tuple[ScriptLibrary, list[YamlProblem]]:
    """The configured scripts folder; without one, a missing ``config/scripts`` is fine."""
    folder = config.scripts.folder
    if folder == DEFAULT_SCRIPTS and not folder.is_dir():
        return ScriptLibrary(), []
    return ScriptLibrary.load(folder, templates)
