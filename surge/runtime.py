"""Putting surge together from its config: plugins, actions, playbooks, store, engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from surge.actions import ActionRegistry
from surge.audit.log import AuditLog
from surge.channels.events import SummaryUpdates
from surge.channels.hub import Channels
from surge.channels.notices import NoticeRelay
from surge.config import DEFAULT_SCRIPTS, Config
from surge.customers.service import Customers
from surge.engine.engine import Clock, Engine, utcnow
from surge.metrics import Metrics
from surge.notices.service import Notices
from surge.paging.service import Paging
from surge.paging.setup import configure_pagers, load_rota
from surge.playbook.library import PlaybookLibrary
from surge.plugin.manager import PluginManager
from surge.replicas import Leader, Wakeups
from surge.report.build import Reports
from surge.scripts.active import Scripts
from surge.scripts.library import ScriptLibrary
from surge.store import open_store
from surge.store.base import Store
from surge.subscriptions.hooks import SubscriptionHook
from surge.subscriptions.service import Subscriptions
from surge.templating import Templates
from surge.triggers.chain import Chains
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
    audit: AuditLog
    leader: Leader
    problems: list[YamlProblem] = field(default_factory=list)
    scripts: ScriptLibrary = field(default_factory=ScriptLibrary)
    wakeups: Wakeups | None = None

    @property
    def channel_problems(self) -> list[YamlProblem]:
        """What is wrong with the configured channels (their providers' settings)."""
        channels = self.engine.services.channels
        return list(channels.problems) if channels is not None else []

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
        if self.engine.services.subscriptions is not None:
            await self.engine.services.subscriptions.worker.start()

    async def close(self) -> None:
        await self.triggers.stop()
        if self.engine.services.subscriptions is not None:
            await self.engine.services.subscriptions.worker.stop()
        if self.wakeups is not None:
            await self.wakeups.stop()
        await self.leader.stop()
        if self.engine.running:
            await self.engine.stop()
        else:
            await self.engine.events.drain()
        if self.engine.services.channels is not None:
            await self.engine.services.channels.close()
        await self.store.close()


def build_runtime(
    config: Config,
    *,
    extra_plugins: Iterable[object] = (),
    load_entry_points: bool = True,
    clock: Clock = utcnow,
) -> Runtime:
    """Load plugins, playbooks and response scripts; nothing is opened yet. Every part
    tells the time by ``clock`` (the engine's; `surge demo` runs a faster one).

    Playbooks and scripts that fail validation are left out and listed in ``problems``.
    """
    summaries = SummaryUpdates()
    relay = NoticeRelay()
    subscription_hook = SubscriptionHook()
    plugins = PluginManager(
        load_entry_points=load_entry_points,
        extra=extra_plugins,
        hook_timeout=config.engine.hook_timeout,
        runtime_builtins={
            "channel_summaries": summaries,
            "channel_notices": relay,
            "subscriptions": subscription_hook,
        },
    )
    actions = ActionRegistry()
    plugins.register_actions(actions)
    templates = Templates(plugins.template_filters())
    playbooks, problems = PlaybookLibrary.load(config.playbooks, actions, templates)
    scripts, script_problems = load_scripts(config, templates)
    store = open_store(config.store)
    engine = Engine(config, store, plugins, playbooks, actions, templates, Metrics(), clock)
    engine.services.scripts = Scripts(scripts, store, templates)
    engine.services.notices = Notices(engine, config.components)
    rota, rota_problems = load_rota(config)
    pagers, pager_problems = configure_pagers(config, plugins.pager_types())
    engine.services.rota = rota
    engine.services.pagers = Paging(engine, rota, pagers)
    channels = Channels(
        config,
        plugins.channel_providers(),
        store,
        engine.services.scripts,
        engine.note,
        engine.clock,
    )
    engine.services.channels = summaries.channels = relay.channels = channels
    leader = Leader(store, engine.id, config.replicas)
    triggers = Triggers(engine, config, leader)
    engine.services.chains = Chains(engine, triggers.admission)
    engine.services.customers = Customers(store, engine.clock)
    engine.services.reports = Reports(engine)
    audit = AuditLog(store, config.secrets(), engine.clock)
    engine.services.audit = audit
    engine.services.subscriptions = subscription_hook.subscriptions = Subscriptions(
        config, store, engine.clock, engine.id, engine.metrics
    )
    return Runtime(
        config=config,
        plugins=plugins,
        actions=actions,
        templates=templates,
        playbooks=playbooks,
        store=store,
        engine=engine,
        triggers=triggers,
        audit=audit,
        leader=leader,
        problems=[
            *problems,
            *script_problems,
            *rota_problems,
            *pager_problems,
            *channels.problems,
        ],
        scripts=scripts,
    )


def load_scripts(config: Config, templates: Templates) -> tuple[ScriptLibrary, list[YamlProblem]]:
    """The configured scripts folder; without one, a missing ``config/scripts`` is fine."""
    folder = config.scripts.folder
    if folder == DEFAULT_SCRIPTS and not folder.is_dir():
        return ScriptLibrary(), []
    return ScriptLibrary.load(folder, templates)
