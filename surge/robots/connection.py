"""The part of a robot platform's provider type that all platforms share: reading the
channel keys every robot channel has, the HTTP session, the rota for mentions.

A platform plugin subclasses ``RobotConnection`` with its ``platform`` name, its own
channel keys and ``robot()``, which reads them into its ``Robot``. Secrets are given in
config (``secret: …``) or, better, named by environment variable (``secret_env: …``);
either way surge masks them wherever it writes (``Config.secrets``).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from dataclasses import dataclass

import aiohttp

from surge.channels.config import ChannelBinding
from surge.channels.provider import ChannelError, ChannelProvider, ProviderConnection
from surge.config import Config
from surge.paging.setup import load_rota
from surge.robots.channel import GroupSettings, RobotChannel
from surge.robots.mentions import MentionTarget, check_targets, parse_mentions
from surge.robots.queue import RateLimit
from surge.robots.robot import Robot
from surge.rota.model import Rota
from surge.scripts.model import LOCALES
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

COMMON_KEYS = ("group", "mention", "locale", "rate_limit", "timeout", "message_limit")


@dataclass(frozen=True)
class Secret:
    """A secret given in config or named by an environment variable; read when used."""

    what: str  # where it is configured, for the message when it is missing
    value: str | None = None
    env: str | None = None

    def get(self) -> str:
        found = self.value or (os.environ.get(self.env) if self.env else None)
        if not found:
            where = f"${self.env}" if self.env else self.what
            raise ChannelError(f"{where} ({self.what}) is not set", retryable=False)
        return found


def read_secret(
    node: YNode, fields: dict[str, YNode], name: str, check: Checker, what: str, *, required: bool
) -> Secret | None:
    """``NAME`` or ``NAME_env`` from ``fields`` (the mapping at ``node``); a problem when
    both are given or (``required``) neither."""
    literal, env = fields.get(name), fields.get(f"{name}_env")
    if literal is not None and env is not None:
        check.error(literal.pos, f"{what}: give {name} or {name}_env, not both")
        return None
    if literal is None and env is None:
        if required:
            check.error(node.pos, f"{what} needs {name}_env (or {name})")
        return None
    if env is not None:
        variable = check.string(env, f"{what}.{name}_env")
        return Secret(f"{what}.{name}_env", env=variable) if variable else None
    assert literal is not None
    value = check.string(literal, f"{what}.{name}")
    return Secret(f"{what}.{name}", value=value) if value else None


def read_rate(node: YNode, check: Checker, what: str) -> RateLimit | None:
    """``rate_limit: {count: 20, per: 1m}``."""
    fields = check.keys(node, what, ("count", "per"), ("count", "per"))
    if not fields or "count" not in fields or "per" not in fields:
        return None
    count = check.integer(fields["count"], f"{what}.count", minimum=1)
    per = check.duration(fields["per"], f"{what}.per")
    return RateLimit(count, per) if count and per else None


def read_url(node: YNode, check: Checker, what: str) -> str | None:
    url = check.string(node, what)
    if url and not url.startswith(("https://", "http://")):
        check.error(node.pos, f"{what} must start with https://")
        return None
    return url.rstrip("/") if url else None


class RobotConnection(ProviderConnection):
    """``platform``'s channels: each with its robot's ``TOKEN_KEY`` (or ``…_env``) and,
    for platforms that sign, an optional ``secret``; ``make`` builds the robot."""

    platform = ""
    default_url = ""  # the platform's API, unless plugins.PLATFORM.base_url says otherwise
    app_keys: tuple[str, ...] = ()  # the keys of plugins.PLATFORM.app
    token_key = "token"  # the channel key of the robot's webhook key or token
    signed = False  # the channel may give the robot's signing secret

    def __init__(self, config: Config, check: Checker) -> None:
        self.config = config
        self.settings = read_platform(config, self.platform, self.default_url, self.app_keys, check)
        self._http: aiohttp.ClientSession | None = None
        self._rota: Rota | None = None
        self._rota_loaded = False

    @property
    def keys(self) -> tuple[str, ...]:
        """The platform's own channel keys."""
        secret = ("secret", "secret_env") if self.signed else ()
        return (self.token_key, f"{self.token_key}_env", *secret)

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    def rota(self) -> Rota | None:
        """The config's rota, read once (its problems are the runtime's to report)."""
        if not self._rota_loaded:
            self._rota, _ = load_rota(self.config)
            self._rota_loaded = True
        return self._rota

    @abstractmethod
    def make(self, token: Secret, secret: Secret | None, rate: RateLimit | None) -> Robot:
        """The platform's robot for a channel's token and secret."""

    def robot(
        self,
        binding: ChannelBinding,
        fields: dict[str, YNode],
        check: Checker,
        rate: RateLimit | None,
    ) -> Robot | None:
        """The robot from the channel's own keys; problems to ``check``."""
        what = f"channels.{binding.name}"
        token = read_secret(binding.node, fields, self.token_key, check, what, required=True)
        secret = None
        if self.signed:
            secret = read_secret(binding.node, fields, "secret", check, what, required=False)
        if token is None:
            return None
        robot = self.make(token, secret, rate)
        robot.timeout = self.settings.timeout
        return robot

    def read(self, binding: ChannelBinding, check: Checker) -> tuple[Robot, GroupSettings] | None:
        what = f"channels.{binding.name}"
        fields = check.keys(binding.node, what, (*COMMON_KEYS, *self.keys))
        if fields is None:
            return None
        group = check.string(fields["group"], f"{what}.group") if "group" in fields else ""
        mention: tuple[MentionTarget, ...] = ()
        if "mention" in fields:
            mention = parse_mentions(fields["mention"], check, f"{what}.mention")
            if (rota := self.rota()) is not None:
                check_targets(rota, mention, check, f"{what}.mention")
        locale = "zh-CN"
        if "locale" in fields:
            locale = check.choice(fields["locale"], f"{what}.locale", LOCALES) or locale
        rate = None
        if "rate_limit" in fields:
            rate = read_rate(fields["rate_limit"], check, f"{what}.rate_limit")
        robot = self.robot(binding, fields, check, rate)
        if robot is None:
            return None
        if "timeout" in fields:
            robot.timeout = check.duration(fields["timeout"], f"{what}.timeout") or robot.timeout
        if "message_limit" in fields:  # in the platform's unit (bytes, or characters)
            found = check.integer(fields["message_limit"], f"{what}.message_limit", minimum=200)
            robot.limit = min(found or robot.limit, robot.limit)
        return robot, GroupSettings(group or "", mention, locale)

    def bind(self, binding: ChannelBinding, check: Checker) -> ChannelProvider | None:
        found = self.read(binding, check)
        if found is None:
            return None
        robot, settings = found
        return RobotChannel(robot, binding.name, settings, self.http, self.rota)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = None


@dataclass(frozen=True)
class PlatformSettings:
    """``plugins.PLATFORM``: where its API is, how long a call may take, its app."""

    base_url: str
    timeout: float = 10.0
    app: dict[str, YNode] | None = None  # the app's keys, read by the plugin
    app_node: YNode | None = None


def read_platform(
    config: Config, name: str, default_url: str, app_keys: tuple[str, ...], check: Checker
) -> PlatformSettings:
    """The plugin's section (none is fine: the defaults); ``base_url`` is there so tests
    can point the plugin at a local server."""
    section = config.plugins.get(name)
    if section is None:
        return PlatformSettings(default_url)
    what = f"plugins.{name}"
    fields = check.keys(section.node, what, ("base_url", "timeout", "app"))
    if fields is None:
        return PlatformSettings(default_url)
    url = read_url(fields["base_url"], check, f"{what}.base_url") if "base_url" in fields else None
    timeout = check.duration(fields["timeout"], f"{what}.timeout") if "timeout" in fields else None
    app = None
    if "app" in fields:
        app = check.keys(fields["app"], f"{what}.app", app_keys)
    return PlatformSettings(url or default_url, timeout or 10.0, app, fields.get("app"))
