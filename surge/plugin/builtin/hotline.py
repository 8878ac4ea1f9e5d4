"""``hotline.open`` and ``hotline.close``: switch a temporary hotline on and off through
the telephony system's webhook or command from config (for example an IVR route).

The number customers call comes from the telephony system's answer (a webhook's JSON
``number``, or the last line a command prints) or else from ``hotlines.NAME.number``. It
is the step's result, so later steps use ``steps.<id>.result.number``, for instance as a
script var: ``vars: {hotline: "{{ steps.hotline.result.number }}"}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.channels.config import HotlineSettings, Telephony
from surge.channels.hub import Channels
from surge.plugin import hookimpl
from surge.plugin.builtin.channel_webhook import incident_json
from surge.plugin.builtin.command import run_configured
from surge.plugin.builtin.webhook import endpoint, post_signed
from surge.store.records import HotlineRecord, RoomState


def _settings(ctx: ActionContext) -> HotlineSettings:
    hotlines = ctx.config.hotlines
    name = ctx.args.get("hotline")
    if name is None and len(hotlines) == 1:
        return next(iter(hotlines.values()))
    if name is None or str(name) not in hotlines:
        known = ", ".join(sorted(hotlines)) or "none configured"
        asked = f"no hotline {name!r}" if name is not None else "say which hotline: `hotline:`"
        raise ActionError(f"{asked} under hotlines: (known: {known})", retryable=False)
    return hotlines[str(name)]


def _hub(ctx: ActionContext) -> Channels:
    if ctx.services.channels is None:
        raise ActionError("the channels service is not running", retryable=False)
    return ctx.services.channels


async def _switch(
    ctx: ActionContext, hotline: HotlineSettings, how: Telephony, event: str, number: str
) -> str:
    """Call the telephony system; the number it answers with, or ``""``."""
    if how.webhook:
        body = {
            "event": event,
            "hotline": hotline.name,
            "number": number,
            "incident": incident_json(ctx.incident),
        }
        to = endpoint(ctx.config, how.webhook)
        answer = await post_signed(ctx.http, to, body, ctx.idempotency_key)
        response = answer["response"]
        return str(response.get("number") or "") if isinstance(response, dict) else ""
    env = {
        "SURGE_INCIDENT_ID": str(ctx.incident.id),
        "SURGE_STEP": ctx.step_id,
        "SURGE_IDEMPOTENCY_KEY": ctx.idempotency_key,
        "SURGE_HOTLINE": hotline.name,
        "SURGE_HOTLINE_NUMBER": number,
    }
    done = await run_configured(ctx.config, str(how.command), list(how.args), env)
    lines = [line.strip() for line in str(done["stdout"]).splitlines() if line.strip()]
    return lines[-1] if lines else ""


async def _open(ctx: ActionContext) -> ActionResult:
    hotline, hub = _settings(ctx), _hub(ctx)
    stored = await hub.store.hotline(ctx.incident.id, hotline.name)
    if stored is not None and stored.state is RoomState.OPEN:
        return _result(stored, again=True)
    record = HotlineRecord(ctx.incident.id, hotline.name, RoomState.OPENING, hub.clock())
    await hub.store.save_hotline(record)
    answered = await _switch(ctx, hotline, hotline.open, "hotline.open", hotline.number)
    number = answered or hotline.number
    if not number:
        raise ActionError(
            f"hotline {hotline.name} is switched on but nobody said its number: set "
            f"hotlines.{hotline.name}.number, or have the telephony system answer one",
            retryable=False,
        )
    record = dataclasses.replace(record, state=RoomState.OPEN, number=number)
    await hub.store.save_hotline(record)
    await hub.note(
        ctx.incident.id,
        f"step:{ctx.step_id}",
        "hotline.opened",
        f"hotline {hotline.name} is open: {number}",
        {"hotline": hotline.name, "number": number},
    )
    return _result(record, again=False)


async def _close(ctx: ActionContext) -> ActionResult:
    hotline, hub = _settings(ctx), _hub(ctx)
    stored = await hub.store.hotline(ctx.incident.id, hotline.name)
    if stored is None or stored.state is RoomState.CLOSED:
        return {"hotline": hotline.name, "closed": stored is not None, "again": True}
    if hotline.close is not None:
        await _switch(ctx, hotline, hotline.close, "hotline.close", stored.number)
    record = dataclasses.replace(stored, state=RoomState.CLOSED, closed_at=hub.clock())
    await hub.store.save_hotline(record)
    await hub.note(
        ctx.incident.id,
        f"step:{ctx.step_id}",
        "hotline.closed",
        f"hotline {hotline.name} is closed",
        {"hotline": hotline.name},
    )
    return {**_result(record, again=False), "closed": True}


def _result(record: HotlineRecord, *, again: bool) -> dict[str, Any]:
    return {
        "hotline": record.hotline,
        "number": record.number,
        "state": record.state.value,
        "again": again,
    }


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    which = Arg("string", description="a hotline under `hotlines:` (needed if there are several)")
    return [
        ActionSpec(
            name="hotline.open",
            run=_open,
            uses_idempotency_key=True,
            args={"hotline": which},
            description="Switch a temporary hotline on; its number is the step's result.",
        ),
        ActionSpec(
            name="hotline.close",
            run=_close,
            uses_idempotency_key=True,
            args={"hotline": which},
            description="Switch the incident's temporary hotline off.",
        ),
    ]
