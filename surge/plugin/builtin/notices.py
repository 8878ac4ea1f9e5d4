"""``notice.publish``, ``notice.update``, ``notice.resolve``, ``banner.show``,
``banner.clear``: status notices and the banner from playbooks, through ``Notices``.

Each is safe to run again after a crash: what it stores is kept under the step's key
(``INCIDENT:PHASE:STEP``, the same for every attempt), so a re-run finds the version or
banner the first run stored and publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.durations import parse_duration
from surge.notices.model import (
    Audience,
    ComponentStatus,
    Impact,
    NoticeChange,
    NoticeConflict,
    NoticeState,
    Severity,
)
from surge.notices.service import Draft, Notices
from surge.plugin import hookimpl
from surge.plugin.builtin.channels import step_key
from surge.scripts.approval import NotApproved

T = TypeVar("T")
ACTOR = "playbook"


def _notices(ctx: ActionContext) -> Notices:
    if ctx.services.notices is None:
        raise ActionError("notices are not set up in this runtime", retryable=False)
    return ctx.services.notices


def _draft(ctx: ActionContext) -> Draft:
    try:
        return _read_draft(ctx)
    except ValueError as error:  # a status a template rendered into something else
        raise ActionError(str(error), retryable=False) from None


def _read_draft(ctx: ActionContext) -> Draft:
    args = ctx.args
    return Draft(
        script=str(args["script"]),
        vars=dict(args.get("vars") or {}),
        state=NoticeState(args["state"]) if args.get("state") else None,
        components={
            str(name): ComponentStatus(value)
            for name, value in dict(args.get("components") or {}).items()
        },
        impact=Impact(args["impact"]) if args.get("impact") else None,
        audience=Audience(args.get("audience") or Audience.PUBLIC),
        incident_id=ctx.incident.id,
    )


async def _publish(ctx: ActionContext) -> ActionResult:
    notices = _notices(ctx)
    change = await _calling(notices.publish_new(_draft(ctx), author=ACTOR, key=step_key(ctx)))
    return await _published(ctx, change)


async def _update(ctx: ActionContext) -> ActionResult:
    notices, key = _notices(ctx), step_key(ctx)
    change = await notices.replay(key)
    if change is None:
        draft = _draft(ctx)
        notice_id = await _open_notice(ctx, notices, draft.audience)
        change = await _calling(
            notices.publish_new(draft, author=ACTOR, notice_id=notice_id, key=key)
        )
    return await _published(ctx, change)


async def _resolve(ctx: ActionContext) -> ActionResult:
    notices, key = _notices(ctx), step_key(ctx)
    change = await notices.replay(key)
    if change is None:
        draft = _draft(ctx)
        notice_id = await _open_notice(ctx, notices, draft.audience)
        change = await _calling(notices.resolve(notice_id, draft, author=ACTOR, key=key))
    return await _published(ctx, change)


async def _open_notice(ctx: ActionContext, notices: Notices, audience: Audience) -> int:
    notice = await notices.open_notice(ctx.incident.id, audience)
    if notice is None:
        raise ActionError(
            f"incident {ctx.incident.id} has no open {audience} notice; publish one first "
            "(notice.publish)",
            retryable=False,
        )
    return notice.id


async def _published(ctx: ActionContext, change: NoticeChange) -> ActionResult:
    notice, version = change.notice, change.version
    if change.created:
        shown = ", ".join(f"{name}: {status}" for name, status in version.components.items())
        await ctx.note(
            f"notice {notice.id} version {version.number} published ({version.state})"
            + (f": {shown}" if shown else ""),
            {"notice": notice.id, "version": version.number, "script": version.script_id},
        )
    return {
        "notice": notice.id,
        "version": version.number,
        "state": version.state.value,
        "audience": notice.audience.value,
        "created": change.created,
    }


async def _show_banner(ctx: ActionContext) -> ActionResult:
    args = ctx.args
    expires = args.get("expires")
    expires_at = ctx.now + timedelta(seconds=parse_duration(expires)) if expires else None
    banner, created = await _calling(
        _notices(ctx).show_banner(
            str(args["script"]),
            dict(args.get("vars") or {}),
            severity=Severity(args.get("severity") or Severity.WARNING),
            by=ACTOR,
            link=str(args.get("link") or ""),
            expires_at=expires_at,
            incident_id=ctx.incident.id,
            key=step_key(ctx),
        )
    )
    if created:
        await ctx.note(f"banner {banner.id} shown ({banner.severity})", {"banner": banner.id})
    return {"banner": banner.id, "created": created}


async def _clear_banner(ctx: ActionContext) -> ActionResult:
    cleared = await _notices(ctx).clear_banner(by=ACTOR, incident_id=ctx.incident.id)
    if cleared:
        await ctx.note(
            f"banner {', '.join(str(item.id) for item in cleared)} cleared",
            {"banners": [item.id for item in cleared]},
        )
    return {"cleared": [item.id for item in cleared]}


async def _calling(call: Awaitable[T]) -> T:
    """What the call returns; a request that can never work is an ActionError not to retry."""
    try:
        return await call
    except (ValueError, NoticeConflict, NotApproved) as error:  # NoticeError, ScriptError
        raise ActionError(str(error), retryable=False) from None


def _check_components(args: Mapping[str, Any]) -> list[str]:
    components = args.get("components")
    if not isinstance(components, Mapping):
        return []
    allowed = [status.value for status in ComponentStatus]
    return [
        f"components.{name}: {value!r} is not one of {', '.join(allowed)}"
        for name, value in components.items()
        if str(value) not in allowed and "{{" not in str(value)  # a template: checked rendered
    ]


def _notice_args(*, state: bool = True, audience_default: str = "public") -> dict[str, Arg]:
    states = tuple(item.value for item in NoticeState)
    args = {
        "script": Arg("string", required=True, description="an approved script's id"),
        "vars": Arg("mapping", description="the script's variables (values, never templates)"),
        "components": Arg(
            "mapping", description="component id: status (operational … major_outage)"
        ),
        "audience": Arg(
            "string",
            choices=tuple(item.value for item in Audience),
            description=f"public, internal or agents (default {audience_default})",
        ),
        "impact": Arg("string", choices=tuple(item.value for item in Impact)),
        # shown there by surge/channels/notices.py, besides the channels bound `notices:`
        "channels": Arg("list", description="channels under `channels:` to show it on too"),
    }
    if state:
        args["state"] = Arg("string", choices=states, description="investigating, identified, …")
    return args


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="notice.publish",
            run=_publish,
            uses_idempotency_key=True,
            args=_notice_args(),
            check=_check_components,
            description="Publish a new status notice for the incident from an approved script.",
        ),
        ActionSpec(
            name="notice.update",
            run=_update,
            uses_idempotency_key=True,
            args=_notice_args(),
            check=_check_components,
            description="Publish a new version of the incident's open notice (a new state).",
        ),
        ActionSpec(
            name="notice.resolve",
            run=_resolve,
            uses_idempotency_key=True,
            args=_notice_args(state=False),
            check=_check_components,
            description="Publish the resolution of the incident's open notice; its components "
            "go back to operational.",
        ),
        ActionSpec(
            name="banner.show",
            run=_show_banner,
            uses_idempotency_key=True,
            args={
                "script": Arg("string", required=True, description="an approved script's id"),
                "vars": Arg("mapping", description="the script's variables"),
                "severity": Arg(
                    "string",
                    choices=tuple(item.value for item in Severity),
                    description="info, warning (default) or critical",
                ),
                "link": Arg("string", description="an http(s) URL or a path, e.g. /help"),
                "expires": Arg("duration", description="hide it after this long, e.g. 2h"),
            },
            description="Show a banner on the website and in the app (banner.json).",
        ),
        ActionSpec(
            name="banner.clear",
            run=_clear_banner,
            idempotent=True,
            description="Clear the banners this incident showed.",
        ),
    ]
