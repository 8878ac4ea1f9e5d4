"""The channels service: configured channel names bound to providers, for one runtime.

The channel actions reach it as ``ctx.services.channels``; plugins with web routes reach
their provider type's connection through ``connection(NAME)``. Each channel's messages go
out one at a time, in the order they were asked for (one lock per channel name). What was
opened and posted is written to the store before and after each call, so a step run again
after a crash finds its room or message there instead of making a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from surge.channels.coalesce import Coalescer
from surge.channels.config import ChannelBinding
from surge.channels.provider import (
    ChannelProvider,
    Notify,
    ProviderConnection,
    ProviderType,
    Room,
)
from surge.config import Config
from surge.scripts.active import Scripts
from surge.store.base import Store
from surge.store.records import ChannelRoom
from surge.yamlcheck import Checker
from surge.yamlpos import YamlProblem

log = logging.getLogger(__name__)
# engine.note: (incident id, actor, kind, message, data)
Note = Callable[[int, str, str, str, Mapping[str, Any] | None], Awaitable[None]]
Clock = Callable[[], datetime]


class ChannelUnavailable(LookupError):
    """The channel is not configured, or its configuration has problems."""


class Channels:
    def __init__(
        self,
        config: Config,
        types: Mapping[str, ProviderType],
        store: Store,
        scripts: Scripts | None,
        note: Note,
        clock: Clock,
    ) -> None:
        self.config = config
        self.bindings: dict[str, ChannelBinding] = dict(config.channels)
        self.types = dict(types)
        self.store = store
        self.scripts = scripts
        self.note = note
        self.clock = clock
        self.problems: list[YamlProblem] = []
        self.summaries = Coalescer()
        self._connections: dict[str, ProviderConnection] = {}
        self._providers: dict[str, ChannelProvider] = {}
        self._unusable: dict[str, str] = {}  # channel -> why it is not bound
        self._locks: dict[str, asyncio.Lock] = {}
        self._bind_all()

    # -- binding --

    def _bind_all(self) -> None:
        check = Checker()
        for name, binding in self.bindings.items():
            before = len(check.problems)
            provider = self._bind(binding, check)
            if provider is not None and len(check.problems) == before:
                self._providers[name] = provider
                continue
            found = [problem.message for problem in check.problems[before:]]
            self._unusable[name] = "; ".join(found) or "its provider did not bind it"
        self.problems = check.problems

    def _bind(self, binding: ChannelBinding, check: Checker) -> ChannelProvider | None:
        kind = self.types.get(binding.provider)
        if kind is None:
            known = ", ".join(sorted(self.types)) or "none"
            check.error(
                binding.pos,
                f"channels.{binding.name}: no channel provider {binding.provider!r} "
                f"(installed: {known}); is its plugin installed?",
            )
            return None
        connection = self._connect(kind, check)
        provider = connection.bind(binding, check)
        if provider is not None and binding.medium is not None:
            provider.medium = binding.medium
        if provider is not None:
            provider.notify = self._notes(binding.name)
        return provider

    def _notes(self, channel: str) -> Notify:
        async def notify(
            incident_id: int, kind: str, message: str, data: Mapping[str, Any] | None
        ) -> None:
            await self.note(incident_id, f"channel:{channel}", kind, message, data)

        return notify

    def _connect(self, kind: ProviderType, check: Checker) -> ProviderConnection:
        if kind.name not in self._connections:
            self._connections[kind.name] = kind.connect(self.config, check)
        return self._connections[kind.name]

    def connection(self, provider_type: str) -> ProviderConnection | None:
        """The runtime's connection of a provider type (made now if no channel uses it);
        None when no plugin offers the type."""
        kind = self.types.get(provider_type)
        if kind is None:
            return None
        check = Checker()
        connection = self._connect(kind, check)
        for problem in check.problems:
            log.warning("channel provider %s: %s", provider_type, problem)
        return connection

    def provider(self, channel: str) -> ChannelProvider:
        """The bound provider of ``channel``; ChannelUnavailable says why there is none."""
        if channel in self._providers:
            return self._providers[channel]
        if channel in self._unusable:
            raise ChannelUnavailable(
                f"channel {channel!r} is not usable: {self._unusable[channel]}"
            )
        known = ", ".join(sorted(self.bindings)) or "none configured"
        raise ChannelUnavailable(f"no channel {channel!r} under channels: (known: {known})")

    def lock(self, channel: str) -> asyncio.Lock:
        """Held while anything is sent on ``channel``, so its messages keep their order."""
        return self._locks.setdefault(channel, asyncio.Lock())

    async def close(self) -> None:
        for name, connection in self._connections.items():
            try:
                await connection.close()
            except Exception:
                log.exception("closing channel provider %s failed", name)
        self._connections.clear()

    # -- rooms --

    async def room(self, incident_id: int, channel: str) -> Room | None:
        """The incident's open room on ``channel``, as the provider described it."""
        stored = await self.store.channel_room(incident_id, channel)
        if stored is None or not stored.room:
            return None
        return as_room(stored)


def as_room(stored: ChannelRoom) -> Room:
    data = dict(stored.data)
    created = bool(data.pop("created", False))
    return Room(stored.room, stored.name, stored.url, created, data)
