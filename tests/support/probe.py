"""A test plugin whose actions record, fail, hang or crash on request.

Each test makes its own ``Probe``, so nothing leaks between tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.plugin import hookimpl


@dataclass
class Call:
    action: str
    incident: int
    step: str
    attempt: int
    key: str
    args: dict[str, Any]


@dataclass
class Probe:
    """Actions: probe.record, probe.fail (fails `times` times, then succeeds), probe.hang,
    probe.crash (raises a plain exception), probe.unsafe (records; not safe to re-run)."""

    name: str = "probe"
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def _record(self, ctx: ActionContext, action: str) -> None:
        self.calls.append(
            Call(
                action,
                ctx.incident.id,
                ctx.step_id,
                ctx.attempt,
                ctx.idempotency_key,
                dict(ctx.args),
            )
        )

    def calls_of(self, action: str) -> list[Call]:
        return [call for call in self.calls if call.action == action]

    async def record(self, ctx: ActionContext) -> ActionResult:
        self._record(ctx, "probe.record")
        return {"echo": dict(ctx.args)}

    async def fail(self, ctx: ActionContext) -> ActionResult:
        self._record(ctx, "probe.fail")
        key = f"{ctx.incident.id}:{ctx.step_id}"
        self.failures[key] = self.failures.get(key, 0) + 1
        if self.failures[key] <= int(ctx.args.get("times", 1)):
            raise ActionError(
                f"planned failure {self.failures[key]}",
                retryable=bool(ctx.args.get("retryable", True)),
            )
        return {"after_failures": self.failures[key] - 1}

    async def hang(self, ctx: ActionContext) -> ActionResult:
        self._record(ctx, "probe.hang")
        self.started.set()
        await asyncio.sleep(3600)
        return None

    async def crash(self, ctx: ActionContext) -> ActionResult:
        self._record(ctx, "probe.crash")
        raise RuntimeError("the plugin has a bug")

    async def unsafe(self, ctx: ActionContext) -> ActionResult:
        self._record(ctx, "probe.unsafe")
        return {"sent": True}

    @hookimpl
    def surge_register_actions(self) -> Iterable[ActionSpec]:
        any_args = {"value": Arg("any"), "times": Arg("int"), "retryable": Arg("bool")}
        return [
            ActionSpec(
                "probe.record", self.record, any_args, idempotent=True, allow_extra_args=True
            ),
            ActionSpec("probe.fail", self.fail, any_args),
            ActionSpec("probe.hang", self.hang, any_args),
            ActionSpec("probe.crash", self.crash, any_args),
            ActionSpec("probe.unsafe", self.unsafe, any_args, allow_extra_args=True),
        ]
