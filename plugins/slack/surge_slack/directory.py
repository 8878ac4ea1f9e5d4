"""Who a Slack user is in surge, and what they may do.

Phase 1 reads ``plugins.slack.users`` (``{U0123ABCD: {name: lee, role: responder}}``).
The seam for the rota: ``who`` is async and returns a ``Person``, so a rota-backed lookup
(a rota person whose chat id is the Slack user) can answer first and the config entries
stay valid as overrides, with no change to the config's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from surge.web.auth import Principal
from surge_slack.settings import SlackSettings


@dataclass(frozen=True)
class Person:
    slack_id: str
    principal: Principal  # the name surge records as the actor, and the role checked
    locale: str

    @property
    def actor(self) -> str:
        return f"slack:{self.principal.name}"


class Directory:
    def __init__(self, settings: SlackSettings) -> None:
        self.settings = settings

    async def who(self, slack_id: str) -> Person | None:
        """The surge person behind a Slack user id, or None for someone surge does not know."""
        user = self.settings.users.get(slack_id)
        if user is None:
            return None
        return Person(
            slack_id, Principal(user.name, user.role), user.locale or self.settings.locale
        )

    def locale_of(self, slack_id: str) -> str:
        user = self.settings.users.get(slack_id)
        return (user.locale if user else None) or self.settings.locale
