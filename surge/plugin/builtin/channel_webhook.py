"""The ``webhook`` channel provider: rooms and messages as signed JSON POSTs.

``channels: {NAME: {provider: webhook, target: TARGET}}`` sends every call to a target
under ``webhooks:``, signed and with an ``Idempotency-Key`` exactly like the ``webhook``
action (one signing scheme for everything surge POSTs). The receiver de-duplicates on the
key, which is the same when a step is run again after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiohttp

from surge.actions import ActionError
from surge.channels.config import ChannelBinding
from surge.channels.messages import digest
from surge.channels.provider import (
    ChannelError,
    ChannelProvider,
    Message,
    OpenRequest,
    Posted,
    ProviderConnection,
    ProviderType,
    Room,
    Summary,
)
from surge.config import Config
from surge.plugin import hookimpl
from surge.plugin.builtin.webhook import endpoint, post_signed
from surge.store.records import Incident
from surge.yamlcheck import Checker


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "playbook": incident.playbook_id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
    }


class WebhookConnection(ProviderConnection):
    def __init__(self, config: Config, check: Checker) -> None:
        self.config = config
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    def bind(self, binding: ChannelBinding, check: Checker) -> ChannelProvider | None:
        what = f"channels.{binding.name}"
        fields = check.keys(binding.node, what, ("target", "summaries"), ("target",))
        if not fields or "target" not in fields:
            return None
        target = check.string(fields["target"], f"{what}.target")
        if target and target not in self.config.webhooks:
            known = ", ".join(sorted(self.config.webhooks)) or "none"
            check.error(
                fields["target"].pos,
                f"{what}.target: no webhook target {target!r} "
                f"under webhooks: (configured: {known})",
            )
            return None
        summaries = fields.get("summaries")
        wanted = bool(check.boolean(summaries, f"{what}.summaries")) if summaries else False
        return WebhookChannel(self, binding.name, target or "", wanted) if target else None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


class WebhookChannel(ChannelProvider):
    def __init__(
        self, connection: WebhookConnection, channel: str, target: str, summaries: bool
    ) -> None:
        self.connection = connection
        self.channel = channel
        self.target = target
        self.summaries = summaries

    async def _call(self, event: str, key: str, body: dict[str, Any]) -> Any:
        try:
            to = endpoint(self.connection.config, self.target)
            answer = await post_signed(
                self.connection.http, to, {"event": event, "channel": self.channel, **body}, key
            )
        except ActionError as error:
            raise ChannelError(str(error), retryable=error.retryable) from None
        response = answer["response"]
        return response if isinstance(response, dict) else {}

    async def open(self, request: OpenRequest) -> Room:
        answer = await self._call(
            "channel.open",
            request.key,
            {
                "incident": incident_json(request.incident),
                "name": request.name,
                "topic": request.topic,
                "purpose": request.purpose,
                "invite": list(request.invite),
            },
        )
        room = str(answer.get("room") or "")
        return Room(room or self.channel, request.name, str(answer.get("url") or ""), bool(room))

    async def post(self, room: Room | None, message: Message) -> Posted:
        answer = await self._call(
            "channel.post",
            message.key,
            {
                "incident": incident_json(message.incident),
                "room": room.id if room else None,
                "kind": message.kind,
                "script": message.script_id,
                "texts": [{"locale": item.locale, "text": item.text} for item in message.texts],
            },
        )
        return Posted(str(answer.get("id") or message.key), room.id if room else "")

    async def close(self, room: Room) -> None:
        key = f"close:{room.id}"
        await self._call("channel.close", key, {"room": room.id})

    async def summarize(
        self, room: Room, summary: Summary, previous: Posted | None
    ) -> Posted | None:
        if not self.summaries:
            return None
        incident = summary.incident
        body = {
            "incident": incident_json(incident),
            "room": room.id,
            "lines": list(summary.lines),
            "hotlines": dict(summary.hotlines),
        }
        key = f"summary:{incident.id}:{room.id}:{digest(body)}"
        await self._call("channel.summary", key, body)
        return Posted(previous.ref if previous else f"summary:{incident.id}", room.id)


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [ProviderType("webhook", WebhookConnection, "signed JSON POSTs to a webhook target")]
