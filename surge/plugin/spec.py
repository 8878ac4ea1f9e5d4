"""Every hook a surge plugin may implement.

A plugin is a module or object with functions named like these and marked with
``@surge.plugin.hookimpl``, registered through the ``surge`` entry-point group. Hooks
that run during an incident return ``None`` or an awaitable; the manager awaits each
one on its own, so a plugin that fails or hangs never stops the others or the engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aiohttp import web

    from surge.actions import ActionSpec
    from surge.store.records import Incident, IncidentStatus, StepRun

NAME = "surge"
_spec = pluggy.HookspecMarker(NAME)
hookimpl = pluggy.HookimplMarker(NAME)


@_spec
def surge_register_actions() -> Iterable[ActionSpec]:  # type: ignore[empty-body]
    """Return the action types this plugin provides.

    Called once when an engine starts, before any playbook is loaded or validated.

    :return: ``ActionSpec`` records; each name must be unique across all plugins.
    """


@_spec
def surge_template_filters() -> Mapping[str, Callable[..., Any]]:  # type: ignore[empty-body]
    """Return Jinja2 filters to add to the sandbox that renders step arguments.

    Called once when an engine starts. A filter receives values that may have come from
    outside (alert labels, params); it must treat them as data, never as templates.

    :return: a mapping of filter name to callable.
    """


@_spec
def surge_incident_opened(incident: Incident) -> Awaitable[None] | None:
    """Called after a new incident has been stored, before its first step runs.

    :param incident: the incident as stored.
    """


@_spec
def surge_incident_status_changed(
    incident: Incident, previous: IncidentStatus, actor: str
) -> Awaitable[None] | None:
    """Called after an incident's status changed (acknowledged, mitigated, resolved, …).

    :param incident: the incident with its new status.
    :param previous: the status it had before.
    :param actor: who or what changed it: a token's name, ``engine``, ``cli``.
    """


@_spec
def surge_step_finished(incident: Incident, run: StepRun) -> Awaitable[None] | None:
    """Called after a step attempt reached a final state and it was stored.

    :param incident: the incident the step belongs to.
    :param run: the attempt, with its status, result or error.
    """


@_spec
def surge_web_routes(app: web.Application) -> None:
    """Add routes to the HTTP server (for example a chat tool's interactivity endpoint).

    Called once while the app is built, before it starts. Routes a plugin adds get no
    authentication from surge: check the caller yourself (signatures, tokens).

    :param app: the aiohttp application; add with ``app.router.add_get`` and friends.
    """
