"""Who may do what: the roles a token carries, and the permissions routes ask for.

This module is the one place the role model lives. A route names the one permission it
needs (``@requires(RESPOND)`` in ``surge.web.auth``); a permission lists the roles that
hold it. ``admin`` holds every permission, and ``alert-source`` holds only
``send-alerts``, so a token that Alertmanager keeps in its config can do nothing else.
docs/api.md's roles table is generated from ``PERMISSIONS`` (a test keeps it in step).

A later part adds its permission here (one ``Permission`` and one entry in
``PERMISSIONS``) rather than naming roles at its routes, so the table stays complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

VIEWER, RESPONDER, COMMS, ADMIN, ALERT_SOURCE = (
    "viewer",
    "responder",
    "comms",
    "admin",
    "alert-source",
)
ROLES = (VIEWER, RESPONDER, COMMS, ADMIN, ALERT_SOURCE)
PEOPLE = (VIEWER, RESPONDER, COMMS)  # the roles people's tokens carry, besides admin


@dataclass(frozen=True)
class Permission:
    """Something a caller may do, and the roles (besides admin) that may do it."""

    name: str
    roles: tuple[str, ...]
    means: str  # what it lets a caller do, for the docs' table
    narrowed: str = ""  # when the route narrows it further, how (the docs say so)

    def allows(self, role: str) -> bool:
        return role == ADMIN or role in self.roles

    @property
    def holders(self) -> tuple[str, ...]:
        """Every role that holds it, admin included, in the order of ``ROLES``."""
        return tuple(role for role in ROLES if self.allows(role))


READ = Permission(
    "read",
    PEOPLE,
    "read playbooks, incidents with their steps and timelines, silences and response "
    "scripts; check a reply against a script",
)
TRIGGER = Permission(
    "trigger",
    PEOPLE,
    "open an incident by hand",
    narrowed="only with a role that the playbook's `manual` trigger lists "
    "(admin always; a playbook without a manual trigger only by admin)",
)
RESPOND = Permission(
    "respond",
    (RESPONDER,),
    "acknowledge, mitigate, resolve and cancel incidents; add and expire silences",
)
SEND_ALERTS = Permission(
    "send-alerts",
    (ALERT_SOURCE,),
    "deliver Alertmanager notifications to the webhook",
)
AUDIT = Permission("audit", (), "read the audit log")
PUBLISH = Permission(
    "publish",
    (COMMS,),
    "draft, publish, update and resolve status notices; see and remove the customers "
    "subscribed to them and each delivery",
)

PERMISSIONS = (READ, TRIGGER, RESPOND, SEND_ALERTS, AUDIT, PUBLISH)


def permission_of(grants: Iterable[Permission | str]) -> Permission:
    """One permission from what a route names: a Permission, or (as routes written before
    this module did) bare role names, which become a permission without a name."""
    given = tuple(grants)
    if len(given) == 1 and isinstance(given[0], Permission):
        return given[0]
    roles = tuple(str(item) for item in given)
    if any(isinstance(item, Permission) for item in given):
        raise TypeError("name one Permission, or role names; not both")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles are {', '.join(ROLES)}")
    return Permission("", roles, "")
