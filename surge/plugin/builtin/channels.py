"""``channel.open``, ``channel.post``, ``channel.close``, ``channel.broadcast_script``:
backup channels by the names config binds (``incident-room``, ``agents``), never a vendor.

Each is safe to run again after a crash: rooms and messages are stored under the step's
key (``INCIDENT:PHASE:STEP``, the same for every attempt), so a re-run finds what the
first run opened or sent instead of doing it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.channels import posting, rooms
from surge.channels.config import ChannelBinding
from surge.channels.hub import Channels, ChannelUnavailable
from surge.channels.messages import render_active, render_script
from surge.channels.posting import PostFailed
from surge.channels.provider import ChannelError, ChannelProvider
from surge.plugin import hookimpl
from surge.rota.model import Person
from surge.scripts.active import Scripts
from surge.scripts.rules import Rendered

T = TypeVar("T")


def step_key(ctx: ActionContext) -> str:
    """``INCIDENT:PHASE:STEP``: the step's idempotency key without its attempt number, so
    a retry finds a message an earlier attempt sent instead of sending it again."""
    return ctx.idempotency_key.rsplit(":", 1)[0]


def _channels(ctx: ActionContext) -> Channels:
    if ctx.services.channels is None:
        raise ActionError("no channels are set up (channels: in config)", retryable=False)
    return ctx.services.channels


def _scripts(ctx: ActionContext) -> Scripts:
    if ctx.services.scripts is None:
        raise ActionError("no response scripts are loaded (scripts: in config)", retryable=False)
    return ctx.services.scripts


async def _open(ctx: ActionContext) -> ActionResult:
    channel = str(ctx.args["channel"])
    opening = rooms.open_room(
        _channels(ctx),
        ctx.incident,
        channel,
        name=str(ctx.args["name"]),
        topic=str(ctx.args.get("topic") or ""),
        purpose=str(ctx.args.get("purpose") or ""),
        invite=[str(item) for item in ctx.args.get("invite") or []],
        people=await _oncall(ctx),
        key=step_key(ctx),
    )
    return await _calling(channel, opening)


async def _oncall(ctx: ActionContext) -> list[Person] | None:
    """``invite_oncall``: true (who is on shift in every team) or a rota team's id; with
    the people the incident's escalations paged, from the rota. None: not asked for."""
    wanted = ctx.args.get("invite_oncall")
    if wanted is None or wanted is False:
        return None
    paging = ctx.services.pagers
    if paging is None or paging.rota is None:
        raise ActionError("invite_oncall needs a rota: set `rota:` in the config", retryable=False)
    try:
        return await paging.oncall(ctx.incident.id, None if wanted is True else str(wanted))
    except ValueError as error:
        raise ActionError(f"invite_oncall: {error}", retryable=False) from None


def _check_open(args: Mapping[str, Any]) -> list[str]:
    wanted = args.get("invite_oncall")
    if wanted is None or isinstance(wanted, bool | str):
        return []
    return ["invite_oncall is true, false or a rota team's id"]


async def _close(ctx: ActionContext) -> ActionResult:
    channel = str(ctx.args["channel"])
    return await _calling(channel, rooms.close_room(_channels(ctx), ctx.incident, channel))


async def _post(ctx: ActionContext) -> ActionResult:
    scripts = _scripts(ctx)
    script_id, variables = str(ctx.args["script"]), dict(ctx.args.get("vars") or {})

    async def compose(
        target: ChannelBinding, provider: ChannelProvider
    ) -> tuple[str, tuple[Rendered, ...]]:
        script, texts = await render_script(
            scripts, script_id, variables, target.locales, provider.medium
        )
        return script.id, texts

    channel = str(ctx.args["channel"])
    sending = posting.post(_channels(ctx), ctx.incident, channel, step_key(ctx), compose)
    return posting.result(await _calling(channel, sending))


async def _broadcast(ctx: ActionContext) -> ActionResult:
    scripts = _scripts(ctx)
    incident_id = ctx.incident.id

    async def compose(
        target: ChannelBinding, provider: ChannelProvider
    ) -> tuple[str, tuple[Rendered, ...]]:
        script, texts, _ = await render_active(
            scripts, incident_id, target.locales, provider.medium
        )
        return script.id, texts

    channel = str(ctx.args.get("channel") or "agents")
    sending = posting.broadcast(_channels(ctx), ctx.incident, channel, step_key(ctx), compose)
    return await _calling(channel, sending)


async def _calling(channel: str, call: Awaitable[T]) -> T:
    """The call's result; what went wrong as an ActionError saying whether to retry."""
    try:
        return await call
    except ChannelUnavailable as error:
        raise ActionError(str(error), retryable=False) from None
    except PostFailed as error:
        raise ActionError(str(error), retryable=error.retryable) from None
    except ChannelError as error:
        raise ActionError(f"{channel}: {error}", retryable=error.retryable) from None


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    channel = Arg("string", required=True, description="a channel named under `channels:`")
    return [
        ActionSpec(
            name="channel.open",
            run=_open,
            uses_idempotency_key=True,
            args={
                "channel": channel,
                "name": Arg("string", required=True, description="the room's name"),
                "topic": Arg("string", description="the room's topic"),
                "purpose": Arg("string", description="what the room is for"),
                "invite": Arg("list", description="people and groups, in the provider's ids"),
                "invite_oncall": Arg(
                    "any",
                    description="true, or a rota team: invite who is on shift now and whom "
                    "the incident's escalations paged",
                ),
            },
            check=_check_open,
            description="Open the incident's room on a channel (e.g. a new Slack channel).",
        ),
        ActionSpec(
            name="channel.post",
            run=_post,
            uses_idempotency_key=True,
            args={
                "channel": channel,
                "script": Arg("string", required=True, description="an approved script's id"),
                "vars": Arg("mapping", description="the script's variables"),
            },
            description="Post an approved script on a channel; a failure falls over to its backup.",
        ),
        ActionSpec(
            name="channel.close",
            run=_close,
            uses_idempotency_key=True,
            args={"channel": channel},
            description="Close the incident's room on a channel (archive it).",
        ),
        ActionSpec(
            name="channel.broadcast_script",
            run=_broadcast,
            uses_idempotency_key=True,
            args={
                "channel": Arg("string", description="a channel under `channels:` (agents)"),
            },
            description="Post the incident's active script to the agents' channel and pin it.",
        ),
    ]
