"""One Slack workspace as one runtime uses it: the Web API client, one lock per Slack
channel (so its messages keep their order), and the channels bound to it.

The client is slack-sdk's ``AsyncWebClient`` with its rate-limit retry handler: a 429 is
retried after the ``Retry-After`` it carries, up to ``rate_limit_retries`` times, inside
the channel's lock, so a message held back by a rate limit is never overtaken.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from surge.channels.config import ChannelBinding
from surge.channels.provider import ChannelError, ChannelProvider, ProviderConnection
from surge.config import Config
from surge.yamlcheck import Checker
from surge_slack.directory import Directory
from surge_slack.settings import SlackSettings, parse_settings

log = logging.getLogger(__name__)
# Slack's answers that a later attempt may get past; anything else will not change
_RETRYABLE = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
MAX_PAGES = 10  # of conversations.list / history read when looking something up


class SlackError(ChannelError):
    """Slack answered ``ok: false``; ``code`` is its ``error`` (``channel_not_found``)."""

    def __init__(self, method: str, code: str, *, retryable: bool) -> None:
        super().__init__(f"Slack {method}: {code}", retryable=retryable)
        self.code = code


class SlackApi:
    """slack-sdk's client for one workspace's settings, and ``call`` with surge's errors.

    Without ``session`` it makes (and ``close`` closes) its own; with one (the engine's
    shared session, as a pager gets it) it uses that and leaves it open.
    """

    def __init__(
        self, settings: SlackSettings, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.api_settings = settings
        self._client: AsyncWebClient | None = None
        self._session = session
        self._own_session = session is None

    @property
    def client(self) -> AsyncWebClient:
        if self._client is None:
            settings = self.api_settings
            token = settings.token()
            if token is None:
                raise ChannelError(
                    f"no Slack token: export {settings.token_env} (the bot's xoxb-… token)",
                    retryable=False,
                )
            if self._session is None:
                self._session = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=settings.timeout)
                )
            handlers = [
                AsyncRateLimitErrorRetryHandler(max_retry_count=settings.rate_limit_retries),
                AsyncConnectionErrorRetryHandler(),
            ]
            self._client = AsyncWebClient(
                token=token,
                base_url=settings.base_url,
                session=self._session,
                timeout=int(max(1, settings.timeout)),
                retry_handlers=handlers,
                logger=log,
            )
        return self._client

    async def call(self, method: str, **args: Any) -> dict[str, Any]:
        """``method`` with ``args`` (form or JSON, as slack-sdk sends it); its answer, or
        SlackError / ChannelError saying what went wrong."""
        try:
            response = await self.client.api_call(method, **_how(method, args))
        except SlackApiError as error:
            data = error.response.data if isinstance(error.response.data, dict) else {}
            code = str(data.get("error") or f"HTTP {error.response.status_code}")
            status = int(error.response.status_code)
            raise SlackError(method, code, retryable=code in _RETRYABLE or status >= 500) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ChannelError(f"Slack {method}: {type(error).__name__}: {error}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def find_message(
        self, channel: str, key: str, oldest: float | None = None, pages: int = MAX_PAGES
    ) -> dict[str, Any] | None:
        """The message in ``channel`` whose metadata carries ``key`` (``ts``, ``blocks``…)."""
        cursor = ""
        for _ in range(pages):
            page = await self.call(
                "conversations.history",
                channel=channel,
                oldest=f"{oldest:.6f}" if oldest else None,
                limit=200,
                include_all_metadata=True,
                cursor=cursor or None,
            )
            for item in page.get("messages") or []:
                payload = (item.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == key:
                    return dict(item)
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return None
        return None

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None
        self._client = None


class SlackWorkspace(SlackApi, ProviderConnection):
    """The ``slack`` provider type's connection in one runtime: the client its channels
    share, one lock per Slack channel, and who the workspace's users are."""

    def __init__(self, config: Config, check: Checker) -> None:
        self.config = config
        self.settings: SlackSettings | None = parse_settings(config, check)
        super().__init__(self.settings or SlackSettings())
        self.directory = Directory(self.settings or SlackSettings(), config)
        self._locks: dict[str, asyncio.Lock] = {}
        self._ids: dict[str, str] = {}  # channel name -> id
        self._bot: str | None = None

    def bind(self, binding: ChannelBinding, check: Checker) -> ChannelProvider | None:
        from surge_slack.channel import bind_channel

        if self.settings is None:
            check.error(
                binding.pos,
                f"channels.{binding.name}: the slack provider needs "
                "`plugins: {slack: {token_env: …, signing_secret_env: …}}`",
            )
            return None
        return bind_channel(self, binding, check)

    def lock(self, channel: str) -> asyncio.Lock:
        return self._locks.setdefault(channel, asyncio.Lock())

    async def bot_user(self) -> str:
        if self._bot is None:
            self._bot = str((await self.call("auth.test")).get("user_id") or "")
        return self._bot

    async def channels(self) -> AsyncIterator[dict[str, Any]]:
        """The workspace's open channels the bot can see, a bounded number of pages."""
        cursor = ""
        for _ in range(MAX_PAGES):
            page = await self.call(
                "conversations.list",
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor or None,
            )
            for channel in page.get("channels") or []:
                yield channel
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return

    async def find_channel(self, name: str) -> dict[str, Any] | None:
        async for channel in self.channels():
            if channel.get("name") == name:
                return channel
        return None

    async def channel_id(self, channel: str) -> str:
        """A channel's id from its id or its name (``cs-agents`` or ``#cs-agents``)."""
        if _CHANNEL_ID.match(channel):
            return channel
        name = channel.lstrip("#")
        if name not in self._ids:
            found = await self.find_channel(name)
            if found is None:
                raise SlackError("conversations.list", "channel_not_found", retryable=False)
            self._ids[name] = str(found["id"])
        return self._ids[name]


# slack-sdk posts these as JSON (they carry blocks); the rest go as form fields
_JSON_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")


def _how(method: str, args: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in args.items() if value is not None}
    if method in _JSON_METHODS:
        return {"json": values}
    fields = {key: _field(value) for key, value in values.items()}
    if method in ("conversations.list", "conversations.history", "usergroups.users.list"):
        return {"http_verb": "GET", "params": fields}
    return {"data": fields}


def _field(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
