"""``config/surge.yaml``: where surge keeps its data, listens, and finds what it runs.

Found through ``--config PATH``, then ``$SURGE_CONFIG``, then ``config/surge.yaml`` in the
working directory; with none of them, the defaults below run everything on a SQLite file
under ``var/``. Relative paths are relative to the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from surge.audit.settings import AuditSettings, parse_audit
from surge.channels.config import (
    ChannelBinding,
    HotlineSettings,
    PluginSection,
    parse_channels,
    parse_hotlines,
    parse_plugins,
)
from surge.console_settings import ConsoleSettings, parse_console
from surge.mail import SmtpSettings, parse_smtp
from surge.notices.components import parse_components
from surge.notices.model import Component
from surge.paging.config import PagerSettings, parse_pagers
from surge.redact import SENSITIVE_KEY as _SENSITIVE
from surge.redact import sensitive_values
from surge.replicas import ReplicaSettings, parse_replicas
from surge.roles import ROLES as ROLES  # re-exported: the role model lives in surge.roles
from surge.statuspage.settings import StatusPageSettings, parse_status_page
from surge.subscriptions.config import SubscriptionSettings, parse_subscriptions
from surge.yamlcheck import Checker
from surge.yamlpos import YamlProblem, YNode, load

DEFAULT_CONFIG = Path("config/surge.yaml")
# Sections later parts of surge read; accepted here so one config serves every release.
RESERVED_SECTIONS: tuple[str, ...] = ()
DEFAULT_SCRIPTS = Path("config/scripts")


class ConfigError(Exception):
    """The config could not be loaded; ``problems`` has every ``file:line:col`` reason."""

    def __init__(self, problems: list[YamlProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class TokenEntry:
    name: str
    role: str
    sha256: str


@dataclass(frozen=True)
class EngineSettings:
    lease: float = 15.0  # a running step's claim lasts this long without a heartbeat
    poll_interval: float = 0.25  # how often the store is asked for due work
    max_concurrency: int = 200  # step attempts running at once in one process
    hook_timeout: float = 10.0  # a plugin's event hook is cut off after this long


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str | None = None
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    secret_env: str | None = None  # read when used, so a missing one fails only that step

    def signing_secret(self) -> str | None:
        """The secret to sign with: the literal one, or the environment variable's value."""
        if self.secret_env:
            return os.environ.get(self.secret_env) or None
        return self.secret


@dataclass(frozen=True)
class CommandTarget:
    argv: tuple[str, ...]
    env: tuple[str, ...] = ()  # names passed through from surge's environment
    timeout: float = 60.0
    cwd: str | None = None


@dataclass(frozen=True)
class PrometheusSettings:
    url: str
    interval: float = 15.0  # how often metric triggers are evaluated
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    bearer_token_env: str | None = None  # read when used, never logged

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        token = os.environ.get(self.bearer_token_env) if self.bearer_token_env else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


@dataclass(frozen=True)
class ScriptSettings:
    folder: Path = DEFAULT_SCRIPTS  # the response scripts, config/scripts/*.yaml
    two_person_rule: bool = False  # an approver must not be the script's last author


@dataclass
class Config:
    store: str = "sqlite:///var/surge.db"
    listen: str = "127.0.0.1:8080"
    public_url: str = "http://127.0.0.1:8080"
    playbooks: Path = Path("playbooks")
    tokens: tuple[TokenEntry, ...] = ()
    engine: EngineSettings = field(default_factory=EngineSettings)
    webhooks: dict[str, WebhookTarget] = field(default_factory=dict)
    commands: dict[str, CommandTarget] = field(default_factory=dict)
    prometheus: PrometheusSettings | None = None
    scripts: ScriptSettings = field(default_factory=ScriptSettings)
    smtp: SmtpSettings | None = None  # the mail server pages, subscriptions and lists use
    channels: dict[str, ChannelBinding] = field(default_factory=dict)  # surge/channels
    hotlines: dict[str, HotlineSettings] = field(default_factory=dict)
    plugins: dict[str, PluginSection] = field(default_factory=dict)  # each plugin's own
    audit: AuditSettings = field(default_factory=AuditSettings)
    rota: Path | None = None  # config/rota.yaml: people, shifts, escalation policies
    pagers: PagerSettings = field(default_factory=PagerSettings)
    replicas: ReplicaSettings = field(default_factory=ReplicaSettings)  # leader, change feed
    status_page: StatusPageSettings = field(default_factory=StatusPageSettings)  # surge/statuspage
    components: tuple[Component, ...] = ()  # what the status page shows (surge/notices)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)  # surge/web/console
    subscriptions: SubscriptionSettings = field(default_factory=SubscriptionSettings)
    reserved: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def secrets(self) -> list[str]:
        """Every secret value in the config, so logs and timelines can redact them."""
        found: list[str | None] = []
        for target in self.webhooks.values():
            found.append(target.signing_secret())
            found.extend(sensitive_values(target.headers))
        if self.prometheus is not None:
            found.extend(sensitive_values(self.prometheus.request_headers()))
        if self.smtp is not None:
            found.append(self.smtp.password())
        for section in self.plugins.values():
            found.extend(setting_secrets(section.values))
        for binding in self.channels.values():
            found.extend(setting_secrets(binding.node.plain()))
        found.extend(self.pagers.secrets())
        found.append(urlsplit(self.store).password)  # postgresql://user:PASSWORD@host/db
        found.append(self.console.configured_secret())
        return [secret for secret in found if secret]


def find_config_path(explicit: str | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("SURGE_CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_path(explicit)
    if path is None:
        return Config()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError([_problem(path, f"cannot read the config: {error.strerror}")]) from None
    return parse_config(data, str(path))


def parse_config(text: str | bytes, file: str) -> Config:
    tree, problems = load(text, file)
    if tree is None:
        raise ConfigError(problems)
    checker = Checker()
    config = _read(tree, checker, file)
    if checker.problems:
        raise ConfigError(checker.problems)
    return config


def _read(tree: YNode, check: Checker, file: str) -> Config:
    allowed = (
        "store",
        "listen",
        "public_url",
        "playbooks",
        "auth",
        "engine",
        "webhooks",
        "commands",
        "prometheus",
        "scripts",
        "smtp",
        "channels",
        "hotlines",
        "plugins",
        "audit",
        "rota",
        "pagers",
        "replicas",
        "status_page",
        "components",
        "console",
        "subscriptions",
        *RESERVED_SECTIONS,
    )
    fields = check.keys(tree, "the config", allowed)
    config = Config(source=Path(file))
    if fields is None:
        return config
    for key in ("store", "listen", "public_url"):
        if key in fields and (value := check.string(fields[key], key)) is not None:
            setattr(config, key, value)
    if "listen" in fields:
        try:
            parse_listen(config.listen)
        except ValueError as error:
            check.error(fields["listen"].pos, str(error))
    if "store" in fields and not config.store.startswith(("sqlite://", "postgresql://")):
        check.error(fields["store"].pos, "store must be sqlite:///PATH or postgresql://…")
    if "playbooks" in fields and (folder := check.string(fields["playbooks"], "playbooks")):
        config.playbooks = Path(folder)
    if "auth" in fields:
        config.tokens = _tokens(fields["auth"], check)
    if "engine" in fields:
        config.engine = _engine(fields["engine"], check)
    if "webhooks" in fields:
        config.webhooks = _webhooks(fields["webhooks"], check)
    if "commands" in fields:
        config.commands = _commands(fields["commands"], check)
    if "prometheus" in fields:
        config.prometheus = _prometheus(fields["prometheus"], check)
    if "scripts" in fields:
        config.scripts = _scripts(fields["scripts"], check)
    if "smtp" in fields:
        config.smtp = parse_smtp(fields["smtp"], check, "smtp")
    if "channels" in fields:
        config.channels = parse_channels(fields["channels"], check)
    if "hotlines" in fields:
        config.hotlines = parse_hotlines(fields["hotlines"], check)
        _check_telephony(config, check)
    if "plugins" in fields:
        config.plugins = parse_plugins(fields["plugins"], check)
    if "audit" in fields:
        config.audit = parse_audit(fields["audit"], check)
    if "rota" in fields and (rota := check.string(fields["rota"], "rota")):
        config.rota = Path(rota)
    if "pagers" in fields:
        config.pagers = parse_pagers(fields["pagers"], check)
    if "replicas" in fields:
        config.replicas = parse_replicas(fields["replicas"], check)
    if "status_page" in fields:
        config.status_page = parse_status_page(fields["status_page"], check)
    if "components" in fields:
        config.components = parse_components(fields["components"], check)
    if "console" in fields:
        config.console = parse_console(fields["console"], check)
    if "subscriptions" in fields:
        config.subscriptions = parse_subscriptions(fields["subscriptions"], check)
    config.reserved = {key: fields[key].plain() for key in RESERVED_SECTIONS if key in fields}
    return config


def _check_telephony(config: Config, check: Checker) -> None:
    """A hotline's webhook target and commands must be configured."""
    for hotline in config.hotlines.values():
        for step in (hotline.open, hotline.close):
            if step is None or hotline.pos is None:
                continue
            if step.webhook and step.webhook not in config.webhooks:
                check.error(
                    hotline.pos,
                    f"hotlines.{hotline.name}: no webhook target {step.webhook!r} under webhooks:",
                )
            if step.command and step.command not in config.commands:
                check.error(
                    hotline.pos,
                    f"hotlines.{hotline.name}: no command {step.command!r} under commands:",
                )


def setting_secrets(values: object) -> list[str]:
    """Secrets in a plugin's or a channel's settings: the value of every key that names a
    credential, and for such a key ending in ``_env``, that environment variable's value."""
    found: list[str] = []
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, str) and _SENSITIVE.search(str(key)):
                found.append(os.environ.get(value, "") if str(key).endswith("_env") else value)
            else:
                found.extend(setting_secrets(value))
    elif isinstance(values, list):
        for item in values:
            found.extend(setting_secrets(item))
    return [secret for secret in found if secret]


def _tokens(node: YNode, check: Checker) -> tuple[TokenEntry, ...]:
    auth = check.keys(node, "auth", ("tokens",))
    if not auth or "tokens" not in auth:
        return ()
    entries = check.sequence(auth["tokens"], "auth.tokens") or []
    tokens = []
    for entry in entries:
        fields = check.keys(
            entry, "a token", ("name", "role", "sha256"), ("name", "role", "sha256")
        )
        if not fields or len(fields) < 3:
            continue
        name = check.string(fields["name"], "token name")
        role = check.choice(fields["role"], "token role", ROLES)
        digest = check.string(fields["sha256"], "token sha256")
        if digest is not None and (len(digest) != 64 or not _is_hex(digest)):
            check.error(
                fields["sha256"].pos, "sha256 must be 64 hex digits (see `surge token create`)"
            )
            continue
        if name and role and digest:
            tokens.append(TokenEntry(name, role, digest.lower()))
    return tuple(tokens)


def _engine(node: YNode, check: Checker) -> EngineSettings:
    durations = ("lease", "poll_interval", "hook_timeout")
    fields = check.keys(node, "engine", (*durations, "max_concurrency"))
    if not fields:
        return EngineSettings()
    values: dict[str, Any] = {}
    for key in durations:
        if key in fields:
            seconds = check.duration(fields[key], f"engine.{key}")
            if seconds is not None and seconds <= 0:
                check.error(fields[key].pos, f"engine.{key} must be more than 0")
            elif seconds is not None:
                values[key] = seconds
    if "max_concurrency" in fields:
        concurrency = check.integer(fields["max_concurrency"], "engine.max_concurrency", minimum=1)
        if concurrency is not None:
            values["max_concurrency"] = concurrency
    return EngineSettings(**values)


def _webhooks(node: YNode, check: Checker) -> dict[str, WebhookTarget]:
    targets: dict[str, WebhookTarget] = {}
    for name, child in (check.mapping(node, "webhooks") or {}).items():
        target = parse_webhook_target(child, check, f"webhooks.{name}")
        if target is not None:
            targets[name] = target
    return targets


def parse_webhook_target(
    node: YNode, check: Checker, what: str, extra: tuple[str, ...] = ()
) -> WebhookTarget | None:
    """One signed-POST target (``url``, ``secret`` or ``secret_env``, ``timeout``,
    ``headers``); ``extra`` keys are let through for the caller (a pager's ``type``)."""
    allowed = ("url", "secret", "secret_env", "timeout", "headers", *extra)
    fields = check.keys(node, what, allowed, ("url",))
    if not fields or "url" not in fields:
        return None
    url = check.string(fields["url"], f"{what}.url")
    secret, secret_env = _secret(fields, check, what)
    timeout = check.duration(fields["timeout"], f"{what}.timeout") if "timeout" in fields else 10.0
    headers = check.string_map(fields["headers"], f"{what}.headers") if "headers" in fields else {}
    if url and not url.startswith(("http://", "https://")):
        check.error(fields["url"].pos, f"{what}.url must start with http:// or https://")
        return None
    return WebhookTarget(url, secret, timeout or 10.0, headers, secret_env) if url else None


def _secret(fields: dict[str, YNode], check: Checker, what: str) -> tuple[str | None, str | None]:
    """``(secret, name of the environment variable holding it)``."""
    if "secret" in fields and "secret_env" in fields:
        check.error(fields["secret_env"].pos, f"{what}: give secret or secret_env, not both")
        return None, None
    if "secret" in fields:
        return check.string(fields["secret"], f"{what}.secret"), None
    if "secret_env" in fields:
        return None, check.string(fields["secret_env"], f"{what}.secret_env")
    return None, None


def _commands(node: YNode, check: Checker) -> dict[str, CommandTarget]:
    commands: dict[str, CommandTarget] = {}
    for name, child in (check.mapping(node, "commands") or {}).items():
        what = f"commands.{name}"
        fields = check.keys(child, what, ("argv", "env", "timeout", "cwd"), ("argv",))
        if not fields or "argv" not in fields:
            continue
        argv = check.strings(fields["argv"], f"{what}.argv")
        if not argv:
            check.error(fields["argv"].pos, f"{what}.argv must name the program to run")
            continue
        env = check.strings(fields["env"], f"{what}.env") if "env" in fields else []
        timeout = (
            check.duration(fields["timeout"], f"{what}.timeout") if "timeout" in fields else 60.0
        )
        cwd = check.string(fields["cwd"], f"{what}.cwd") if "cwd" in fields else None
        commands[name] = CommandTarget(tuple(argv), tuple(env), timeout or 60.0, cwd)
    return commands


def _prometheus(node: YNode, check: Checker) -> PrometheusSettings | None:
    allowed = ("url", "interval", "timeout", "headers", "bearer_token_env")
    fields = check.keys(node, "prometheus", allowed, ("url",))
    if not fields or "url" not in fields:
        return None
    url = check.string(fields["url"], "prometheus.url")
    if url and not url.startswith(("http://", "https://")):
        check.error(fields["url"].pos, "prometheus.url must start with http:// or https://")
    values: dict[str, Any] = {}
    for key in ("interval", "timeout"):
        if key in fields and (seconds := check.duration(fields[key], f"prometheus.{key}")):
            values[key] = seconds
    if "headers" in fields:
        values["headers"] = check.string_map(fields["headers"], "prometheus.headers")
    if "bearer_token_env" in fields:
        values["bearer_token_env"] = check.string(
            fields["bearer_token_env"], "prometheus.bearer_token_env"
        )
    return PrometheusSettings(url.rstrip("/"), **values) if url else None


def _scripts(node: YNode, check: Checker) -> ScriptSettings:
    fields = check.keys(node, "scripts", ("folder", "two_person_rule"))
    if not fields:
        return ScriptSettings()
    folder = check.string(fields["folder"], "scripts.folder") if "folder" in fields else None
    rule = fields.get("two_person_rule")
    two_person = check.boolean(rule, "scripts.two_person_rule") if rule is not None else None
    return ScriptSettings(Path(folder) if folder else DEFAULT_SCRIPTS, bool(two_person))


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in text)


def _problem(path: Path, message: str) -> YamlProblem:
    from surge.yamlpos import Pos

    return YamlProblem(Pos(str(path), 1, 1), message)


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6); ValueError says what is wrong."""
    host, sep, port = listen.strip().rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"listen must be HOST:PORT with a port from 1 to 65535, got {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)
