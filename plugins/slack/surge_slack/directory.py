"""Who a Slack user is in surge, and what they may do; and a rota person's Slack user id.

A Slack user is found first in ``plugins.slack.users`` (``{U0123ABCD: {name: lee, role:
responder}}``, which overrides), then among the rota's people: the one whose Slack user id
is theirs. A rota person's Slack id is the address of their first contact method that
names a ``slack`` pager (``contact: [{slack: U0123ABCD}]``), else ``ids: {slack: …}``.
Their surge role comes from their rota ``roles``: a surge role written there (``viewer``,
``responder``, ``comms``, ``admin``) counts as itself, others through
``plugins.slack.rota_roles`` (``lead: responder`` by default); ``admin`` wins, else the
first found; someone with none is a ``viewer``.
"""

from __future__ import annotations

from dataclasses import dataclass

from surge.config import Config
from surge.roles import ADMIN, VIEWER
from surge.rota.model import Person as RotaPerson
from surge.rota.model import Rota
from surge.web.auth import Principal
from surge_slack.settings import ROLES, SlackSettings

PAGER_TYPE = "slack"


@dataclass(frozen=True)
class Person:
    slack_id: str
    principal: Principal  # the name surge records as the actor, and the role checked
    locale: str
    rota_id: str = ""  # the rota person they are, if any

    @property
    def actor(self) -> str:
        return f"slack:{self.principal.name}"


class Directory:
    def __init__(self, settings: SlackSettings, config: Config | None = None) -> None:
        self.settings = settings
        pagers = config.pagers.pagers if config is not None else {}
        # the pagers under ``pagers:`` of type slack: a contact naming one is a Slack id
        self.pagers = frozenset(name for name, entry in pagers.items() if entry.type == PAGER_TYPE)

    def slack_id(self, person: RotaPerson) -> str | None:
        """The rota person's Slack user id, or None when the rota gives them none."""
        for contact in person.contacts:
            if contact.pager in self.pagers and contact.address:
                return contact.address
        return person.ids.get("slack") or None

    def rota_person(self, slack_id: str, rota: Rota | None) -> RotaPerson | None:
        if rota is None or not slack_id:
            return None
        return next((p for p in rota.people.values() if self.slack_id(p) == slack_id), None)

    async def who(self, slack_id: str, rota: Rota | None = None) -> Person | None:
        """The surge person behind a Slack user id, or None for someone surge does not know."""
        user = self.settings.users.get(slack_id)
        found = self.rota_person(slack_id, rota)
        if user is not None:
            principal = Principal(user.name, user.role)
            locale = user.locale or (found.locale if found else self.settings.locale)
            return Person(slack_id, principal, locale, found.id if found else "")
        if found is None:
            return None
        return Person(slack_id, Principal(found.id, self.role(found)), found.locale, found.id)

    def role(self, person: RotaPerson) -> str:
        """The surge role a rota person's ``roles`` give them."""
        mapped = [
            role if role in ROLES else self.settings.rota_roles.get(role, "")
            for role in person.roles
        ]
        mapped = [role for role in mapped if role]
        if ADMIN in mapped:
            return ADMIN
        return mapped[0] if mapped else VIEWER

    def locale_of(self, slack_id: str, rota: Rota | None = None) -> str:
        user = self.settings.users.get(slack_id)
        if user is not None and user.locale:
            return user.locale
        found = self.rota_person(slack_id, rota)
        return found.locale if found is not None else self.settings.locale
