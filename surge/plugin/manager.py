"""One plugin manager per engine: loads plugins and calls each hook, one plugin at a time.

Load order follows tox: plugins from the ``surge`` entry-point group, then surge's
built-ins, then plugins passed in (tests, embedding), then ``check_pending()`` so that a
misspelt hook name fails at start-up. Anything wrong while loading raises ``PluginError``
naming the plugin and where it came from; surge does not start half-plugged.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from jinja2.filters import FILTERS as JINJA_FILTERS

from surge import __version__
from surge.actions import ActionRegistry, ActionSpec
from surge.channels.provider import ProviderType
from surge.plugin import spec
from surge.plugin.builtin import BUILTINS
from surge.plugin.calls import ErrorSink, call_each, report_failure
from surge.plugin.calls import HookTimeout as HookTimeout

if TYPE_CHECKING:
    from aiohttp import web

    from surge.notices.model import Notice, NoticeVersion
    from surge.paging.spec import PagerSpec
    from surge.store.records import Incident, IncidentStatus, StepRun

HOOKS = tuple(sorted(name for name in vars(spec) if name.startswith("surge_")))


class PluginError(Exception):
    """A plugin could not be loaded, registered or set up: surge must not start."""


class PluginValidationError(PluginError, pluggy.PluginValidationError):
    """A plugin's hooks do not match the specs (unknown hook, wrong arguments)."""

    def __init__(self, plugin: object, message: str) -> None:
        pluggy.PluginValidationError.__init__(self, plugin, message)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    hooks: tuple[str, ...]
    builtin: bool


class PluginManager:
    """Wraps pluggy with one typed method per hook.

    Event hooks (incident opened, status changed, step finished) call every plugin on its
    own, at once, each cut off after ``hook_timeout`` seconds; a failure or a timeout goes
    to ``on_error`` and is never raised. Start-up hooks raise ``PluginError``.
    """

    def __init__(
        self,
        *,
        load_entry_points: bool = True,
        extra: Iterable[object] = (),
        hook_timeout: float = 10.0,
        runtime_builtins: Mapping[str, object] | None = None,
    ) -> None:
        if hook_timeout <= 0:
            raise ValueError("hook_timeout must be more than 0 seconds")
        self.hook_timeout = hook_timeout
        self.on_error: ErrorSink | None = None
        self._pm = pluggy.PluginManager(spec.NAME)
        self._pm.add_hookspecs(spec)
        self._versions: dict[str, str] = {}
        self._sources: dict[str, str] = {}
        self._stragglers: set[asyncio.Task[Any]] = set()
        if load_entry_points:
            self._load_entry_points()
        for module in BUILTINS:
            name = "builtin." + module.__name__.rsplit(".", 1)[1]
            self._register(module, name, __version__, "built-in")
        # built-ins that hold one runtime's state (objects, not modules), named builtin.NAME
        for name, plugin in (runtime_builtins or {}).items():
            self._register(plugin, f"builtin.{name}", __version__, "built-in")
        for plugin in extra:
            name = _plugin_name(plugin)
            self._register(plugin, name, getattr(plugin, "__version__", ""), "passed in")
        self._check_pending()

    # -- loading --

    def _load_entry_points(self) -> None:
        # importlib lists each distribution once: the first found on sys.path, as imports do
        for point in sorted(metadata.entry_points(group=spec.NAME), key=lambda p: p.name):
            dist = f"{point.dist.name} {point.dist.version}" if point.dist else "?"
            source = f"entry point `{point.name} = {point.value}` from {dist}"
            try:
                plugin = point.load()
            except Exception as error:
                raise PluginError(
                    f"plugin {point.name!r} ({source}) failed to load: "
                    f"{type(error).__name__}: {error}"
                ) from error
            self._register(plugin, point.name, point.dist.version if point.dist else "", source)

    def _register(self, plugin: object, name: str, version: str, source: str) -> None:
        existing = self._pm.get_plugin(name)
        if existing is plugin:
            return
        if existing is not None:
            raise PluginError(f"two plugins named {name!r}: {self._sources[name]} and {source}")
        what = f"plugin {name!r} ({source})"
        problems = [_problem(plugin, hook) for hook in HOOKS]
        if any(problems):
            raise PluginValidationError(plugin, f"{what}: " + "; ".join(filter(None, problems)))
        try:
            self._pm.register(plugin, name=name)
        except pluggy.PluginValidationError as error:
            raise PluginValidationError(plugin, f"{what}: {error}") from error
        except ValueError as error:
            raise PluginError(f"{what}: {error}") from error
        self._versions[name], self._sources[name] = version, source

    def _check_pending(self) -> None:
        for hook_name, caller in vars(self._pm.hook).items():
            if hook_name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                close = difflib.get_close_matches(hook_name, HOOKS, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise PluginValidationError(
                    impl.plugin,
                    f"plugin {impl.plugin_name!r} ({self._sources[impl.plugin_name]}): "
                    f"unknown hook {hook_name!r}{hint}",
                )
        self._pm.check_pending()

    def plugins(self) -> list[PluginInfo]:
        """Every plugin: name, version, the hooks it implements, and whether it is built in."""
        infos = []
        for name, plugin in self._pm.list_name_plugin():
            callers = self._pm.get_hookcallers(plugin) or []
            hooks = tuple(sorted(caller.name for caller in callers))
            builtin = self._sources[name] == "built-in"
            infos.append(PluginInfo(name, self._versions[name], hooks, builtin))
        return sorted(infos, key=lambda info: (info.builtin, info.name))

    # -- start-up hooks: a failure here is a broken install and stops start-up loudly --

    def register_actions(self, registry: ActionRegistry) -> None:
        for plugin_name, result in self._call_startup("surge_register_actions", {}):
            for action in result or ():
                if not isinstance(action, ActionSpec):
                    raise PluginError(
                        f"{self._describe(plugin_name)}: surge_register_actions returned "
                        f"{action!r}, not an ActionSpec"
                    )
                try:
                    registry.add(action, plugin_name)
                except ValueError as error:
                    raise PluginError(str(error)) from None

    def template_filters(self) -> dict[str, Callable[..., Any]]:
        filters: dict[str, Callable[..., Any]] = {}
        owners: dict[str, str] = {}
        for plugin_name, result in self._call_startup("surge_template_filters", {}):
            for name, function in dict(result or {}).items():
                what = f"filter {name!r} from {self._describe(plugin_name)}"
                if not isinstance(name, str) or not callable(function):
                    raise PluginError(f"{what}: must map a name to a callable")
                if name in JINJA_FILTERS:
                    raise PluginError(f"{what} would replace Jinja2's built-in filter")
                if name in owners:
                    raise PluginError(f"{what} is already registered by {owners[name]}")
                filters[name], owners[name] = function, plugin_name
        return filters

    def channel_providers(self) -> dict[str, ProviderType]:
        types: dict[str, ProviderType] = {}
        owners: dict[str, str] = {}
        for plugin_name, result in self._call_startup("surge_register_channel_providers", {}):
            for kind in result or ():
                what = f"{self._describe(plugin_name)}: surge_register_channel_providers"
                if not isinstance(kind, ProviderType):
                    raise PluginError(f"{what} returned {kind!r}, not a ProviderType")
                if kind.name in owners:
                    raise PluginError(
                        f"{what}: channel provider {kind.name!r} is already registered by "
                        f"{self._describe(owners[kind.name])}"
                    )
                types[kind.name], owners[kind.name] = kind, plugin_name
        return types

    def pager_types(self) -> dict[str, PagerSpec]:
        from surge.paging.spec import PagerSpec

        found: dict[str, PagerSpec] = {}
        owners: dict[str, str] = {}
        for plugin_name, result in self._call_startup("surge_register_pagers", {}):
            for pager in result or ():
                what = self._describe(plugin_name)
                if not isinstance(pager, PagerSpec):
                    raise PluginError(
                        f"{what}: surge_register_pagers returned {pager!r}, not a PagerSpec"
                    )
                if pager.type in found:
                    raise PluginError(
                        f"pager type {pager.type!r} from {what} is already registered by "
                        f"{owners[pager.type]}"
                    )
                found[pager.type], owners[pager.type] = pager, plugin_name
        return found

    def web_routes(self, app: web.Application) -> None:
        self._call_startup("surge_web_routes", {"app": app})

    # -- incident events: each plugin isolated, failures recorded, never raised --

    async def incident_opened(self, incident: Incident) -> None:
        await self._call_event("surge_incident_opened", {"incident": incident}, incident)

    async def incident_status_changed(
        self, incident: Incident, previous: IncidentStatus, actor: str
    ) -> None:
        kwargs = {"incident": incident, "previous": previous, "actor": actor}
        await self._call_event("surge_incident_status_changed", kwargs, incident)

    async def step_finished(self, incident: Incident, run: StepRun) -> None:
        kwargs = {"incident": incident, "run": run}
        await self._call_event("surge_step_finished", kwargs, incident)

    # -- notices: ``incident`` is the notice's incident, where a failure is recorded --

    async def notice_published(
        self, notice: Notice, version: NoticeVersion, incident: Incident | None = None
    ) -> None:
        kwargs = {"notice": notice, "version": version}
        await self._call_event("surge_notice_published", kwargs, incident)

    async def notice_drafted(
        self, notice: Notice, version: NoticeVersion, incident: Incident | None = None
    ) -> None:
        kwargs = {"notice": notice, "version": version}
        await self._call_event("surge_notice_drafted", kwargs, incident)

    # -- calling --

    def _describe(self, name: str) -> str:
        return f"plugin {name!r} ({self._sources[name]})"

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        # get_hookimpls() lists in reverse call order (the last registered is called first)
        return list(reversed(getattr(self._pm.hook, hook_name).get_hookimpls()))

    def _call_startup(self, hook_name: str, kwargs: Mapping[str, Any]) -> list[tuple[str, Any]]:
        results = []
        for impl in self._impls(hook_name):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as error:
                raise PluginError(
                    f"{self._describe(impl.plugin_name)} failed in {hook_name}: "
                    f"{type(error).__name__}: {error}"
                ) from error
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                what = self._describe(impl.plugin_name)
                raise PluginError(f"{what}: {hook_name} must return its result, not an awaitable")
            results.append((impl.plugin_name, result))
        return results

    async def _call_event(
        self, hook_name: str, kwargs: Mapping[str, Any], incident: Incident | None
    ) -> None:
        async def report(plugin: str, error: BaseException) -> None:
            await report_failure(self.on_error, plugin, hook_name, error, incident)

        impls = self._impls(hook_name)
        await call_each(impls, kwargs, self.hook_timeout, self._stragglers, report)


def _plugin_name(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    name = getattr(plugin, "name", None)
    return name if isinstance(name, str) and name else type(plugin).__name__


def _problem(plugin: object, hook: str) -> str:
    function = getattr(plugin, hook, None)
    if not callable(function):
        return ""
    opts = getattr(function, f"{spec.NAME}_impl", None)
    if opts is None:
        return f"{hook} lacks @surge.plugin.hookimpl"
    if opts.get("hookwrapper") or opts.get("wrapper"):
        return f"{hook} is a wrapper; surge calls each plugin on its own, so it cannot be"
    return ""
