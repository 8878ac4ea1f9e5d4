"""Paging a person on a chat platform: an @mention in the on-call group and, where the
platform's app API is configured, a direct message; both carry the page's text with its
signed acknowledge link.

A robot pager is configured under ``pagers:`` with ``channel:``, the robot channel of the
on-call group (its robot, its queue and its rate limit are shared with that channel's
posts), and the app API is the plugin's ``plugins.NAME.app``. The person's contact
method names the pager and their address on it: a user id (or a mobile number, for
platforms that mention by mobile). The page counts as delivered when either way took
it; when neither did, the person's next contact method is tried.
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from surge.channels.provider import ChannelError
from surge.paging.spec import Page, PagerError, PagerSpec
from surge.robots.channel import deliver
from surge.robots.connection import PlatformSettings, RobotConnection, read_platform
from surge.robots.robot import Platform, Request, Robot, RobotError
from surge.robots.texts import text
from surge.rota.model import Person
from surge.scripts.model import LOCALES
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

if TYPE_CHECKING:
    from surge.config import Config

Clock = Callable[[], float]
Fetch = Callable[[aiohttp.ClientSession], Awaitable[tuple[str, float]]]


class AccessToken:
    """An app's access token, fetched when first needed and again shortly before it
    expires (or after the platform said it was no longer valid); one fetch at a time."""

    def __init__(self, fetch: Fetch, clock: Clock = time.monotonic) -> None:
        self._fetch = fetch  # (token, seconds it is valid)
        self._clock = clock
        self._token = ""
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def get(self, http: aiohttp.ClientSession) -> str:
        async with self._lock:
            if not self._token or self._clock() >= self._until:
                token, valid = await self._fetch(http)
                self._token, self._until = token, self._clock() + max(valid - 300.0, valid / 2)
            return self._token

    def forget(self) -> None:
        self._token = ""


class DirectMessages(Platform):
    """A platform's app API for one-to-one messages (WeCom app message, DingTalk work
    notice, Feishu ``im/v1/messages``)."""

    token_codes: frozenset[int] = frozenset()  # "access token invalid or expired"
    token_call = "gettoken"  # the token call's name in errors
    token_field = "access_token"  # in the token's answer, and how long it is valid
    expiry_field = "expires_in"

    def __init__(self) -> None:
        self.token = AccessToken(self.fetch_token)

    @abstractmethod
    def token_request(self) -> Request:
        """The request that gets a new access token from the app's credentials."""

    async def fetch_token(self, http: aiohttp.ClientSession) -> tuple[str, float]:
        answer = await self.call(http, self.token_request(), self.token_call)
        return str(answer.get(self.token_field) or ""), float(answer.get(self.expiry_field) or 7200)

    @abstractmethod
    def recipient(self, person: Person, address: str) -> str | None:
        """Whom to write to: the platform's user id for the person, or None."""

    @abstractmethod
    async def send_direct(
        self, http: aiohttp.ClientSession, recipient: str, title: str, body: str, key: str
    ) -> Mapping[str, Any]:
        """Send one direct message; what the platform answered worth keeping."""

    async def direct(
        self, http: aiohttp.ClientSession, recipient: str, title: str, body: str, key: str
    ) -> Mapping[str, Any]:
        """``send_direct``, once more with a fresh token if the platform refused the one
        it had (an expired token is not a failed page)."""
        try:
            return await self.send_direct(http, recipient, title, body, key)
        except RobotError as error:
            if _code(error.code) not in self.token_codes:
                raise
            self.token.forget()
            return await self.send_direct(http, recipient, title, body, key)


@dataclass(frozen=True)
class RobotPager:
    """A configured robot pager: the group's robot (None: direct messages only) and
    the app (None: group mentions only)."""

    channel: str
    robot: Robot | None
    app: DirectMessages | None
    locale: str = "zh-CN"


async def send_page(pager: RobotPager, page: Page, http: aiohttp.ClientSession) -> dict[str, Any]:
    """Mention the person in the group and write to them directly; PagerError when
    neither reached them."""
    result: dict[str, Any] = {}
    errors: list[str] = []
    title = f"{text('page', pager.locale)}: {page.subject}"
    if pager.robot is not None:
        try:
            result.update(await _mention(pager, pager.robot, page, http, title))
        except ChannelError as error:
            errors.append(f"group {pager.channel}: {error}")
    if pager.app is not None:
        recipient = pager.app.recipient(page.person, page.address)
        if recipient is None:
            errors.append(f"no {pager.app.platform} user id for {page.person.id}")
        else:
            try:
                answer = await pager.app.direct(http, recipient, title, page.text, page.key)
                result.update({"direct": recipient, **answer})
            except ChannelError as error:
                errors.append(f"direct message: {error}")
    if not result:
        raise PagerError("; ".join(errors) or "neither a group nor an app is configured")
    if errors:
        result["errors"] = errors
    return result


async def _mention(
    pager: RobotPager, robot: Robot, page: Page, http: aiohttp.ClientSession, title: str
) -> dict[str, Any]:
    mention = robot.mention(page.person, page.address)
    if mention is None:
        raise ChannelError(f"no {robot.platform} id or mobile for {page.person.id}")
    held: list[float] = []

    async def hold(seconds: float, why: str, waiting: int) -> None:
        held.append(round(seconds, 3))

    body = robot.defuse(page.text)
    await deliver(robot, http, title, body, [mention], pager.locale, hold)
    found: dict[str, Any] = {"group": pager.channel, "mentioned": mention.id}
    if held:
        found["held_s"] = round(sum(held), 3)  # the rate limit held the page back
    return found


def _code(code: object) -> int | None:
    try:
        return int(str(code))
    except ValueError:
        return None


def configure_pager(
    node: YNode,
    check: Checker,
    what: str,
    config: Config,
    connection: type[RobotConnection],
    app: DirectMessages | None,
) -> RobotPager | None:
    """``pagers.NAME: {type: PLATFORM, channel: GROUP-CHANNEL, locale: …}``: the robot of
    the named channel (which must be of this platform) and the plugin's app, if any."""
    fields = check.keys(node, what, ("type", "channel", "locale"))
    if fields is None:
        return None
    platform = connection.platform
    robot = None
    if "channel" in fields and (channel := check.string(fields["channel"], f"{what}.channel")):
        binding = config.channels.get(channel)
        if binding is None or binding.provider != platform:
            check.error(
                fields["channel"].pos,
                f"{what}.channel: no {platform} channel {channel!r} under channels:",
            )
            return None
        found = connection(config, Checker()).read(binding, Checker())  # its own problems
        robot = found[0] if found else None  # are reported where the channel is bound
    if robot is None and app is None:
        check.error(
            node.pos,
            f"{what} needs channel: (a {platform} group) or plugins.{platform}.app, or both",
        )
        return None
    locale = "zh-CN"
    if "locale" in fields:
        locale = check.choice(fields["locale"], f"{what}.locale", LOCALES) or locale
    return RobotPager(str(fields["channel"].value) if robot else "", robot, app, locale)


def pager_type(
    connection: type[RobotConnection],
    read_app: Callable[[PlatformSettings, Checker], DirectMessages | None],
    description: str,
) -> PagerSpec:
    """The pager type of a robot platform; ``read_app`` reads its app from the plugin's
    settings (None without one)."""

    def configure(node: YNode, check: Checker, what: str, config: Config) -> RobotPager | None:
        kind = connection
        settings = read_platform(config, kind.platform, kind.default_url, kind.app_keys, check)
        return configure_pager(node, check, what, config, connection, read_app(settings, check))

    return PagerSpec(
        type=connection.platform, configure=configure, send=send_page, description=description
    )
