"""One plugin manager per engine: loads plugins and calls each hook, one plugin at a time.

Load order follows tox: plugins from the ``surge`` entry-point group, then surge's
built-ins, then ``check_pending()`` so a misspelt hook name fails at start-up.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from surge.actions import ActionRegistry
from surge.plugin import spec

if TYPE_CHECKING:
    from aiohttp import web

    from surge.store.records import Incident, IncidentStatus, StepRun

log = logging.getLogger(__name__)
ErrorSink = Callable[[str, str, BaseException, "Incident | None"], Awaitable[None] | None]


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    hooks: tuple[str, ...]
    builtin: bool


class PluginManager:
    """Wraps pluggy with one typed method per hook."""

    def __init__(self, *, load_entry_points: bool = True, extra: Iterable[object] = ()) -> None:
        self._pm = pluggy.PluginManager(spec.NAME)
        self._pm.add_hookspecs(spec)
        self._versions: dict[str, str] = {}
        self._builtin: set[str] = set()
        self.on_error: ErrorSink | None = None
        if load_entry_points:
            self._load_entry_points()
        from surge.plugin.builtin import BUILTINS

        for module in BUILTINS:
            self._register(module, builtin=True, name="builtin." + module.__name__.rsplit(".", 1)[1])
        for plugin in extra:
            self._register(plugin, builtin=False)
        self._pm.check_pending()

    def _load_entry_points(self) -> None:
        for dist in metadata.distributions():
            for entry_point in dist.entry_points:
                if entry_point.group != spec.NAME:
                    continue
                plugin = entry_point.load()
                self._register(plugin, builtin=False, name=entry_point.name,
                               version=dist.version)

    def _register(self, plugin: object, *, builtin: bool, name: str | None = None,
                  version: str | None = None) -> None:
        name = name or _plugin_name(plugin)
        if self._pm.get_plugin(name) is not None:
            return
        self._pm.register(plugin, name=name)
        if builtin:
            from surge import __version__

            self._builtin.add(name)
            version = version or __version__
        self._versions[name] = version or getattr(plugin, "__version__", "")

    def register(self, plugin: object, name: str | None = None) -> None:
        """Add a plugin after start-up (tests, embedding)."""
        self._register(plugin, builtin=False, name=name)
        self._pm.check_pending()

    def plugins(self) -> list[PluginInfo]:
        infos = []
        for name, plugin in self._pm.list_name_plugin():
            hooks = tuple(sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or []))
            infos.append(PluginInfo(name, self._versions.get(name, ""), hooks,
                                    name in self._builtin))
        return sorted(infos, key=lambda info: (info.builtin, info.name))

    # -- start-up hooks: a failure here is a broken install and stops start-up loudly --

    def register_actions(self, registry: ActionRegistry) -> None:
        for plugin_name, result in self._call_sync("surge_register_actions", {}):
            for action in result or ():
                registry.add(action, plugin_name)

    def template_filters(self) -> dict[str, Callable[..., Any]]:
        filters: dict[str, Callable[..., Any]] = {}
        for _, result in self._call_sync("surge_template_filters", {}):
            filters.update(result or {})
        return filters

    def web_routes(self, app: web.Application) -> None:
        self._call_sync("surge_web_routes", {"app": app})

    # -- incident events: each plugin isolated, failures recorded, never raised --

    async def incident_opened(self, incident: Incident) -> None:
        await self._call_async("surge_incident_opened", {"incident": incident}, incident)

    async def incident_status_changed(
        self, incident: Incident, previous: IncidentStatus, actor: str
    ) -> None:
        await self._call_async(
            "surge_incident_status_changed",
            {"incident": incident, "previous": previous, "actor": actor},
            incident,
        )

    async def step_finished(self, incident: Incident, run: StepRun) -> None:
        await self._call_async("surge_step_finished", {"incident": incident, "run": run}, incident)

    # -- calling --

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        hook = getattr(self._pm.hook, hook_name)
        # pluggy calls the last registered first; keep that order
        return list(reversed(hook.get_hookimpls()))

    def _call_sync(self, hook_name: str, kwargs: Mapping[str, Any]) -> list[tuple[str, Any]]:
        results = []
        for impl in self._impls(hook_name):
            args = [kwargs[name] for name in impl.argnames]
            results.append((impl.plugin_name, impl.function(*args)))
        return results

    async def _call_async(
        self, hook_name: str, kwargs: Mapping[str, Any], incident: Incident | None
    ) -> None:
        calls = []
        names = []
        for impl in self._impls(hook_name):
            calls.append(self._one(impl, kwargs))
            names.append(impl.plugin_name)
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        for plugin_name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                await self._report(plugin_name, hook_name, outcome, incident)

    async def _one(self, impl: pluggy.HookImpl, kwargs: Mapping[str, Any]) -> None:
        result = impl.function(*[kwargs[name] for name in impl.argnames])
        if inspect.isawaitable(result):
            await result

    async def _report(
        self, plugin: str, hook: str, error: BaseException, incident: Incident | None
    ) -> None:
        if isinstance(error, asyncio.CancelledError):
            raise error
        log.warning("plugin %s failed in %s: %s", plugin, hook, error)
        if self.on_error is None:
            return
        try:
            result = self.on_error(plugin, hook, error, incident)
            if inspect.isawaitable(result):
                await result
        except Exception:  # recording must never take the caller down
            log.exception("could not record the failure of plugin %s", plugin)


def _plugin_name(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return getattr(plugin, "name", None) or type(plugin).__name__
