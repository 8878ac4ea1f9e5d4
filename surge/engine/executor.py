"""Running one claimed step attempt, from its ``when`` to its recorded outcome."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from surge.actions import ActionContext, ActionError, ActionSpec, Defer
from surge.durations import format_duration
from surge.engine import flow
from surge.engine.arguments import prepare_args
from surge.playbook.model import Playbook, Step
from surge.plugin.calls import HookTimeout, call_with_deadline
from surge.store.records import (
    Incident,
    IncidentStatus,
    Phase,
    RunStatus,
    StepRun,
    TimelineEntry,
)
from surge.templating import TemplateError

if TYPE_CHECKING:
    from surge.engine.engine import Engine

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Failure:
    message: str
    retryable: bool
    status: RunStatus = RunStatus.FAILED


class StepExecutor:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store

    async def execute(self, run: StepRun) -> None:
        incident = await self.store.get_incident(run.incident_id)
        playbook = self.engine.playbooks.get(incident.playbook_id) if incident else None
        if incident is None or playbook is None:
            missing = "incident" if incident is None else f"playbook {incident.playbook_id!r}"
            await self._finish(
                run,
                None,
                RunStatus.FAILED,
                error=f"the {missing} is not loaded",
                retryable=False,
                playbook=None,
            )
            return
        if not incident.status.is_open and run.phase is Phase.STEPS:
            await self._finish(
                run,
                incident,
                RunStatus.SKIPPED,
                playbook=playbook,
                message=f"{run.step_id}: skipped, the incident was {incident.status.value}",
            )
            return
        step = _locate(playbook, run)
        if step is None:
            message = (
                f"step {run.step_id!r} is no longer in playbook {playbook.id!r}; it was "
                "changed while this incident ran"
            )
            await self._fail(run, incident, None, Failure(message, False))
            return
        spec = self.engine.actions.get(step.action)
        if spec is None:
            await self._fail(
                run,
                incident,
                playbook,
                Failure(
                    f"action {step.action!r} is not registered (is its plugin installed?)", False
                ),
            )
            return
        if run.orphaned and run.args is not None and run.resume is None:
            if not spec.safe_to_rerun:
                await self._fail(
                    run,
                    incident,
                    playbook,
                    Failure(
                        "the engine stopped while this step was running and the action is not safe "
                        "to run again; whether it took effect is unknown",
                        False,
                        RunStatus.UNKNOWN,
                    ),
                )
                return
            await self.engine.note(
                incident.id,
                "engine",
                "step.recovered",
                f"{step.id}: the engine stopped while this step was running; "
                "running it again with the same idempotency key",
            )
        await self._attempt(run, incident, playbook, step, spec)

    async def _attempt(
        self, run: StepRun, incident: Incident, playbook: Playbook, step: Step, spec: ActionSpec
    ) -> None:
        context = await self._template_context(incident, _mentions_steps(step))
        resuming = run.resume is not None
        try:
            if not resuming and step.when is not None and not self._when(step, context):
                await self._finish(
                    run,
                    incident,
                    RunStatus.SKIPPED,
                    playbook=playbook,
                    message=f"{step.id}: skipped, `when` is false",
                )
                return
            args = prepare_args(spec, self.engine.templates.render(step.with_, context))
        except (TemplateError, ValueError) as error:
            await self._fail(run, incident, playbook, Failure(str(error), False))
            return
        if not resuming and not await self._mark_started(run, incident, step, args):
            return
        ctx = self._action_context(run, incident, args)
        started = time.perf_counter()
        outcome = await self._call(spec, ctx, step)
        self.engine.metrics.step_duration.labels(action=spec.name).observe(
            time.perf_counter() - started
        )
        if isinstance(outcome, Failure):
            await self._fail(run, incident, playbook, outcome)
        elif isinstance(outcome, Defer):
            await self._defer(run, incident, step, outcome)
        else:
            await self._finish(
                run,
                incident,
                RunStatus.SUCCEEDED,
                playbook=playbook,
                result=dict(outcome or {}),
                message=f"{step.id}: {spec.name} succeeded",
            )

    def _when(self, step: Step, context: Mapping[str, Any]) -> bool:
        when = step.when or ""
        return self.engine.templates.evaluate(when, context)

    async def _mark_started(
        self, run: StepRun, incident: Incident, step: Step, args: Mapping[str, Any]
    ) -> bool:
        shown = self.engine.redactor.value(dict(args))
        attempt = f" (attempt {run.attempt})" if run.attempt > 1 else ""
        entry = TimelineEntry(
            incident.id,
            self.engine.clock(),
            "engine",
            "step.started",
            f"{step.id}: {step.action} started{attempt}",
            {
                "step": step.id,
                "attempt": run.attempt,
                "args": shown,
                "idempotency_key": run.idempotency_key,
            },
        )
        return await self.store.mark_run_started(run.id, self.engine.id, shown, [entry])

    async def _call(self, spec: ActionSpec, ctx: ActionContext, step: Step) -> Any:
        timeout = step.timeout or DEFAULT_TIMEOUT
        try:
            return await call_with_deadline(spec.run, [ctx], timeout, self.engine.stragglers)
        except HookTimeout:
            owner = self.engine.actions.owner(spec.name)
            self.engine.metrics.plugin_errors.labels(plugin=owner).inc()
            return Failure(f"timed out after {format_duration(timeout)}", True)
        except ActionError as error:
            return Failure(self.engine.redactor.text(str(error)), error.retryable)
        except Exception as error:  # a plugin's bug must not take the engine down
            owner = self.engine.actions.owner(spec.name)
            self.engine.metrics.plugin_errors.labels(plugin=owner).inc()
            log.warning("action %s raised", spec.name, exc_info=True)
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            return Failure(self.engine.redactor.text(message), True)

    def _action_context(
        self, run: StepRun, incident: Incident, args: Mapping[str, Any]
    ) -> ActionContext:
        engine = self.engine

        async def note(message: str, data: Mapping[str, Any] | None = None) -> None:
            await engine.note(incident.id, f"step:{run.step_id}", "note", message, data)

        async def set_status(status: str, reason: str) -> None:
            await engine.change_status(incident.id, IncidentStatus(status), "playbook", reason)

        async def activate_script(script_id: str, variables: Mapping[str, Any]) -> Any:
            if engine.scripts is None:
                raise ValueError("no response scripts are loaded")
            return await engine.scripts.activate(
                incident.id, script_id, variables, f"step:{run.step_id}", engine.clock()
            )

        return ActionContext(
            incident=incident,
            step_id=run.step_id,
            attempt=run.attempt,
            idempotency_key=run.idempotency_key,
            args=args,
            config=engine.config,
            http=engine.http,
            now=engine.clock(),
            resume=run.resume,
            note=note,
            set_status=set_status,
            activate_script=activate_script,
            services=engine.services,
        )

    async def _template_context(
        self, incident: Incident, with_steps: bool = True
    ) -> dict[str, Any]:
        """What a step's templates see; ``steps`` (earlier results) only when asked for,
        since reading them is a store round trip that most steps do not need."""
        steps: dict[str, Any] = {}
        for earlier in await self.store.runs(incident.id) if with_steps else ():
            steps[earlier.step_id] = {
                "status": earlier.status.value,
                "result": earlier.result,
                "error": earlier.error,
                "attempt": earlier.attempt,
            }
        return {
            "params": incident.params,
            "incident": {
                "id": incident.id,
                "status": incident.status.value,
                "playbook": incident.playbook_id,
                "title": incident.title,
                "severity": incident.severity,
                "trigger": incident.trigger,
                "triggered_by": incident.triggered_by,
                "created_at": incident.created_at.isoformat(),
                "group_key": incident.group_key,
            },
            "steps": steps,
            "labels": incident.context.get("labels", {}),
            "annotations": incident.context.get("annotations", {}),
            "now": self.engine.clock(),
        }

    async def _defer(self, run: StepRun, incident: Incident, step: Step, defer: Defer) -> None:
        message = defer.message or f"{step.id}: waiting until {defer.until.isoformat()}"
        entries = (
            []
            if run.resume is not None
            else [
                TimelineEntry(
                    incident.id,
                    self.engine.clock(),
                    "engine",
                    "step.waiting",
                    message,
                    {"step": step.id, "until": defer.until.isoformat()},
                )
            ]
        )
        await self.store.defer_run(
            run.id,
            self.engine.id,
            defer.until,
            dict(defer.state),
            defer.wake_on_status,
            entries,
            self.engine.clock(),
            seen_status=incident.status,  # a change meanwhile makes the wait due at once
        )

    async def _fail(
        self, run: StepRun, incident: Incident, playbook: Playbook | None, failure: Failure
    ) -> None:
        await self._finish(
            run,
            incident,
            failure.status,
            playbook=playbook,
            error=failure.message,
            retryable=failure.retryable,
        )

    async def _finish(
        self,
        run: StepRun,
        incident: Incident | None,
        status: RunStatus,
        *,
        playbook: Playbook | None,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        retryable: bool = False,
        message: str = "",
    ) -> None:
        now = self.engine.clock()
        following = flow.Next(())
        if playbook is not None and status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED):
            following = flow.after_success(playbook, run, now)
        elif playbook is not None:
            following = flow.after_failure(playbook, run, now, retryable=retryable)
        shown = self.engine.redactor.value(result) if result is not None else None
        text = message or f"{run.step_id}: {status.value}: {error}"
        entries = []
        if incident is not None:
            entries.append(
                TimelineEntry(
                    incident.id,
                    now,
                    "engine",
                    f"step.{status.value}",
                    text,
                    {"step": run.step_id, "attempt": run.attempt, "result": shown, "error": error},
                )
            )
            if following.note:
                entries.append(
                    TimelineEntry(
                        incident.id, now, "engine", "flow", f"{run.step_id}: {following.note}", {}
                    )
                )
        finished = await self.store.finish_run(
            run.id,
            self.engine.id,
            status,
            now,
            entries,
            result=shown,
            error=error,
            next_runs=following.runs,
        )
        if finished is None:
            log.info("run %s was taken over by another engine; its outcome is dropped", run.id)
            return
        self.engine.metrics.steps.labels(action=run.action, outcome=status.value).inc()
        if following.runs:
            self.engine.wake()
        if incident is not None:
            self.engine.events.emit(
                incident.id, lambda: self.engine.plugins.step_finished(incident, finished)
            )


def _mentions_steps(step: Step) -> bool:
    """Whether the step's ``with`` or ``when`` may read ``steps``: a template can name a
    variable only by writing it, so one without the word cannot (a false yes is fine)."""
    return "steps" in f"{step.when or ''}{step.with_!r}"


def _locate(playbook: Playbook, run: StepRun) -> Step | None:
    """The run's step, found by id so that an edited playbook cannot shift it to another."""
    for index, step in enumerate(flow.steps_of(playbook, run.phase)):
        if step.id == run.step_id:
            run.step_index = index
            return step
    return None
