"""Every hook a surge plugin may implement.

A plugin is a module or object with functions named like these and marked with
``@surge.plugin.hookimpl``, registered through the ``surge`` entry-point group (DESIGN.md
calls this module ``surge/hookspecs.py``; it lives here, next to the manager, as in tox).

Start-up hooks (actions, template filters, web routes) are plain functions called once;
if one raises, surge does not start. Event hooks (incident opened, status changed, step
finished) may be ``async def`` (run on the event loop) or ``def`` (run in a thread of its
own, so blocking I/O is allowed); each call is cut off after the manager's
``hook_timeout``, and a failure or a timeout is recorded on the incident's timeline and
counted, never raised into the engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aiohttp import web

    from surge.actions import ActionSpec
    from surge.channels.provider import ProviderType
    from surge.notices.model import Notice, NoticeVersion
    from surge.paging.spec import PagerSpec
    from surge.store.records import Incident, IncidentStatus, StepRun

NAME = "surge"
_spec = pluggy.HookspecMarker(NAME)
hookimpl = pluggy.HookimplMarker(NAME)


@_spec
def surge_register_actions() -> Iterable[ActionSpec]:  # type: ignore[empty-body]
    """Return the action types this plugin provides.

    Called once when an engine is built, before any playbook is loaded or validated, so
    ``surge validate`` knows every action's argument schema.

    :return: ``ActionSpec`` records; each name must be unique across all plugins, or
        surge refuses to start naming both plugins.
    """


@_spec
def surge_template_filters() -> Mapping[str, Callable[..., Any]]:  # type: ignore[empty-body]
    """Return Jinja2 filters to add to the sandbox that renders step arguments.

    Called once when an engine is built. A filter receives values that may have come from
    outside (alert labels, params); it must treat them as data, never as templates. A
    name may not replace one of Jinja2's built-in filters or another plugin's.

    :return: a mapping of filter name to callable.
    """


@_spec
def surge_incident_opened(incident: Incident) -> Awaitable[None] | None:
    """Called after a new incident has been stored.

    The engine has already been told to run the first step, which may be running while
    this hook is.

    :param incident: the incident as stored, status ``triggered``.
    :return: nothing, or an awaitable the manager awaits.
    """


@_spec
def surge_incident_status_changed(
    incident: Incident, previous: IncidentStatus, actor: str
) -> Awaitable[None] | None:
    """Called after an incident's status changed (acknowledged, mitigated, resolved, …).

    :param incident: the incident with its new status.
    :param previous: the status it had before.
    :param actor: who or what changed it: an API token's name, ``cli:USER`` from the
        command line, ``playbook`` from a ``set_status`` step.
    :return: nothing, or an awaitable the manager awaits.
    """


@_spec
def surge_step_finished(incident: Incident, run: StepRun) -> Awaitable[None] | None:
    """Called after a step attempt reached a final state and it was stored.

    Final means succeeded, failed, skipped or unknown; a retry is a new attempt that calls
    this hook again when it ends. A ``wait`` that defers does not call it until it ends.

    :param incident: the incident the step belongs to.
    :param run: the attempt as stored: status, result or error (known secrets masked).
    :return: nothing, or an awaitable the manager awaits.
    """


@_spec
def surge_web_routes(app: web.Application) -> None:
    """Add routes to the HTTP server (for example a chat tool's interactivity endpoint).

    Called once while the app is built, before it starts. Like every route, a plugin's
    decides who may call it: ``@requires(PERMISSION)`` (surge checks the bearer token's
    role) or ``@public(why)`` (check the caller yourself: signatures); ``@describe``
    puts it in /openapi.json (docs/plugins.md, "HTTP routes").

    :param app: the aiohttp application; add with ``app.router.add_get`` and friends.
    :return: nothing.
    """


@_spec
def surge_register_channel_providers() -> Iterable[ProviderType]:  # type: ignore[empty-body]
    """Return the channel provider types this plugin offers (``slack``, ``email``, …).

    Called once when a runtime is built. Config binds channel names to a type with
    ``channels: {NAME: {provider: TYPE, …}}``; for each type in use, surge calls
    ``connect(config, check)`` once and then ``bind`` for each of its channels, and the
    ``channel.*`` actions call the bound providers (see ``surge.channels.provider``).

    :return: ``ProviderType`` records; each name must be unique across all plugins, or
        surge refuses to start naming both plugins.
    """


@_spec
def surge_register_pagers() -> Iterable[PagerSpec]:  # type: ignore[empty-body]
    """Return the pager types this plugin provides (e-mail, an SMS gateway, PagerDuty…).

    Called once when an engine is built. Each pager named under ``pagers:`` in the config
    has a ``type`` (default: its name) that must be one of these; the type's
    ``configure`` reads the pager's options then, so ``surge validate`` reports their
    problems with positions. A person's contact method ``PAGER: ADDRESS`` in the rota
    pages them through the pager of that name.

    :return: ``surge.paging.spec.PagerSpec`` records; each type must be unique across all
        plugins, or surge refuses to start naming both plugins.
    """


@_spec
def surge_notice_published(notice: Notice, version: NoticeVersion) -> Awaitable[None] | None:
    """Called after a version of a status notice was published: the first one, each
    update and the resolution (by hand, or by a ``notice.*`` step).

    Called in the background, in order per notice. After a crash between publishing and
    this call, the call is made when the step runs again; so it may, rarely, come twice
    for one version: key what you send on ``(notice.id, version.number)``.

    :param notice: the notice as the version left it (state, components, audience: a
        plugin that delivers to customers must skip notices whose audience is not
        ``public``).
    :param version: the published version: rendered ``title`` and ``body`` per locale,
        ``state``, the ``components`` it changed, its author and time.
    :return: nothing, or an awaitable the manager awaits.
    """


@_spec
def surge_notice_drafted(notice: Notice, version: NoticeVersion) -> Awaitable[None] | None:
    """Called after a draft version of a notice was stored, so that someone may review it
    (a chat tool posts it with an Approve button, which publishes it through the API).

    :param notice: the notice the draft belongs to (``published_at`` None when it has
        never been shown).
    :param version: the draft: rendered ``title`` and ``body`` per locale, ``number`` to
        publish (``POST /api/v1/notices/{id}/versions/{number}/publish``).
    :return: nothing, or an awaitable the manager awaits.
    """
