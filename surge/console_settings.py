"""The config's ``console:`` section (the operator console, surge/web/console): what signs
its cookies and forms, how long a session lasts."""

from __future__ import annotations

import os
from dataclasses import dataclass

from surge.yamlcheck import Checker
from surge.yamlpos import YNode

DEFAULT_TTL = 12 * 3600.0  # a shift, and some


@dataclass(frozen=True)
class ConsoleSettings:
    # the environment variable holding the signing secret; without one, surge makes a
    # secret and keeps it in the store, so every replica signs alike
    secret_env: str | None = None
    session_ttl: float = DEFAULT_TTL  # a session ends this long after signing in

    def configured_secret(self) -> str | None:
        return os.environ.get(self.secret_env) or None if self.secret_env else None


def parse_console(node: YNode, check: Checker) -> ConsoleSettings:
    fields = check.keys(node, "console", ("secret_env", "session_ttl"))
    if not fields:
        return ConsoleSettings()
    secret_env = (
        check.string(fields["secret_env"], "console.secret_env") if "secret_env" in fields else None
    )
    ttl = DEFAULT_TTL
    if "session_ttl" in fields:
        seconds = check.duration(fields["session_ttl"], "console.session_ttl")
        if seconds is not None and seconds <= 0:
            check.error(fields["session_ttl"].pos, "console.session_ttl must be more than 0")
        elif seconds is not None:
            ttl = seconds
    return ConsoleSettings(secret_env, ttl)
