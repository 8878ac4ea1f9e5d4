"""``plugins: {slack: …}``: the workspace's token, signing secret and people.

Secrets are named by environment variable (``token_env``, ``signing_secret_env``) and read
when used, so the config never holds them and they never reach a log or a page.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from surge.config import Config
from surge.scripts.model import LOCALES
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

DEFAULT_BASE_URL = "https://slack.com/api/"
ROLES = ("viewer", "responder", "comms", "admin")
DEFAULT_ROTA_ROLES = {"lead": "responder"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class SlackUser:
    """A Slack user surge knows: who they are in surge, and what they may do."""

    name: str
    role: str
    locale: str | None = None


@dataclass(frozen=True)
class SlackSettings:
    token_env: str = ""
    signing_secret_env: str = ""
    base_url: str = DEFAULT_BASE_URL
    team: str | None = None  # only requests from this workspace are taken
    locale: str = "en"  # of what surge writes in Slack (buttons, replies), unless the user's
    timeout: float = 10.0
    rate_limit_retries: int = 5  # 429s honoured (Retry-After) before a call fails
    users: dict[str, SlackUser] = field(default_factory=dict)
    # rota roles (docs/rota.md) -> surge roles, for Slack users found in the rota
    rota_roles: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROTA_ROLES))

    def token(self) -> str | None:
        return os.environ.get(self.token_env) or None if self.token_env else None

    def signing_secret(self) -> str | None:
        return os.environ.get(self.signing_secret_env) or None if self.signing_secret_env else None


def parse_settings(config: Config, check: Checker) -> SlackSettings | None:
    """The ``plugins.slack`` section, or None when there is none; problems to ``check``."""
    section = config.plugins.get("slack")
    if section is None:
        return None
    allowed = (
        "token_env",
        "signing_secret_env",
        "base_url",
        "team",
        "locale",
        "timeout",
        "rate_limit_retries",
        "users",
        "rota_roles",
    )
    # both named explicitly, so the config says which variables hold secrets (and surge
    # masks their values everywhere from the start)
    fields = check.keys(section.node, "plugins.slack", allowed, ("token_env", "signing_secret_env"))
    if fields is None:
        return None
    values: dict[str, object] = {}
    for key in ("token_env", "signing_secret_env", "base_url", "team"):
        if key in fields and (text := check.string(fields[key], f"plugins.slack.{key}")):
            values[key] = text
    if "locale" in fields and (
        locale := check.choice(fields["locale"], "plugins.slack.locale", LOCALES)
    ):
        values["locale"] = locale
    if "timeout" in fields and (
        seconds := check.duration(fields["timeout"], "plugins.slack.timeout")
    ):
        values["timeout"] = seconds
    if "rate_limit_retries" in fields:
        retries = check.integer(
            fields["rate_limit_retries"], "plugins.slack.rate_limit_retries", minimum=0
        )
        if retries is not None:
            values["rate_limit_retries"] = retries
    if "users" in fields:
        values["users"] = _users(fields["users"], check)
    if "rota_roles" in fields:
        values["rota_roles"] = _rota_roles(fields["rota_roles"], check)
    base_url = str(values.get("base_url", DEFAULT_BASE_URL))
    if not base_url.startswith(("http://", "https://")):
        check.error(fields["base_url"].pos, "plugins.slack.base_url must start with https://")
    return SlackSettings(**values)  # type: ignore[arg-type]


def _users(node: YNode, check: Checker) -> dict[str, SlackUser]:
    users: dict[str, SlackUser] = {}
    for user_id, child in (check.mapping(node, "plugins.slack.users") or {}).items():
        what = f"plugins.slack.users.{user_id}"
        if not _USER_ID.match(user_id):
            check.error(node.key_pos[user_id], f"{what}: a Slack user id looks like U0123ABCD")
            continue
        fields = check.keys(child, what, ("name", "role", "locale"), ("name", "role"))
        if not fields or "name" not in fields or "role" not in fields:
            continue
        name = check.string(fields["name"], f"{what}.name")
        role = check.choice(fields["role"], f"{what}.role", ROLES)
        locale = (
            check.choice(fields["locale"], f"{what}.locale", LOCALES)
            if "locale" in fields
            else None
        )
        if name and role:
            users[user_id] = SlackUser(name, role, locale)
    return users


def _rota_roles(node: YNode, check: Checker) -> dict[str, str]:
    found: dict[str, str] = {}
    for rota_role, child in (check.mapping(node, "plugins.slack.rota_roles") or {}).items():
        role = check.choice(child, f"plugins.slack.rota_roles.{rota_role}", ROLES)
        if role:
            found[rota_role] = role
    return found
