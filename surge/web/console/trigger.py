"""The trigger form: one field per typed param of the playbook, checked by the same
``coerce_params`` the CLI's ``--param`` and the API go through (in ``Engine.trigger``).

Every value is sent as text, as ``surge trigger --param`` sends it; an empty field is a
param not given (its default fills in). Problems come back beside the form, with what
was typed kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from surge.audit import changes
from surge.playbook.model import Param, Playbook
from surge.playbook.params import ParamError
from surge.roles import TRIGGER
from surge.store.base import GroupBusy
from surge.web.audit import audit
from surge.web.auth import Principal, console_page
from surge.web.console.render import redirect, render, words
from surge.web.keys import principal, runtime

routes = web.RouteTableDef()
MAX_VALUE = 10_000


@dataclass(frozen=True)
class Field:
    """How one param is asked for: ``widget`` is text, select or checkbox-like select."""

    param: Param
    widget: str  # "text", "choice" (enum), "flag" (bool)
    value: str  # what the field shows: typed before, else empty
    choices: tuple[str, ...] = ()

    @property
    def default(self) -> str:
        value = self.param.default
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(str(item) for item in value)
        return str(value)


def fields_of(params: Mapping[str, Param], typed: Mapping[str, str]) -> list[Field]:
    """A field per declared param (a playbook's params, a script's vars)."""
    found = []
    for name, param in params.items():
        value = typed.get(name, "")
        if param.type == "enum":
            found.append(Field(param, "choice", value, param.choices))
        elif param.type == "bool":
            found.append(Field(param, "flag", value, ("true", "false")))
        else:
            found.append(Field(param, "text", value))
    return found


def triggerable(caller: Principal, playbooks: list[Playbook]) -> list[Playbook]:
    """The playbooks this role may start by hand (as the API decides it)."""
    return [item for item in playbooks if caller.has(item.manual_roles())]


def _playbook(request: web.Request) -> Playbook:
    found = runtime(request).playbooks.get(request.match_info["playbook"])
    if found is None or found not in triggerable(principal(request), _all(request)):
        # one answer for "no such playbook" and "not yours to start", from the list shown
        raise web.HTTPNotFound(reason="no playbook of that name that your role may trigger")
    return found


def _all(request: web.Request) -> list[Playbook]:
    return list(runtime(request).playbooks.all())


@routes.get("/console/trigger")
@console_page(TRIGGER)
async def choose(request: web.Request) -> web.Response:
    playbooks = triggerable(principal(request), _all(request))
    return await render(request, "trigger.html", playbooks=playbooks, playbook=None)


@routes.get("/console/trigger/{playbook}")
@console_page(TRIGGER)
async def form(request: web.Request) -> web.Response:
    playbook = _playbook(request)
    return await _form(request, playbook, {}, [])


async def _form(
    request: web.Request,
    playbook: Playbook,
    typed: dict[str, str],
    problems: list[str],
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "trigger.html",
        status=status,
        playbooks=triggerable(principal(request), _all(request)),
        playbook=playbook,
        fields=fields_of(playbook.params, typed),
        problems=problems,
    )


@routes.post("/console/trigger/{playbook}")
@console_page(TRIGGER)
async def submit(request: web.Request) -> web.StreamResponse:
    playbook = _playbook(request)
    posted = await request.post()
    typed = {
        name: str(posted.get(name, ""))[:MAX_VALUE] for name in playbook.params if name in posted
    }
    raw: dict[str, Any] = {name: value for name, value in typed.items() if value.strip()}
    state = runtime(request)
    try:
        incident = await state.engine.trigger(
            playbook.id, raw, actor=principal(request).name, source="console"
        )
    except ParamError as error:
        return await _form(request, playbook, typed, error.problems, status=400)
    except GroupBusy as busy:
        problem = words(request)("trigger.busy", id=busy.incident.id)
        return await _form(request, playbook, typed, [problem], status=409)
    await audit(request, changes.incident_triggered(incident))
    raise redirect(f"/console/incidents/{incident.id}")
