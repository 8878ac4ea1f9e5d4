"""What runs next: the pure rules of step order, retries and on_failure."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from surge.playbook.model import Playbook, Step
from surge.store.records import NewRun, Phase, StepRun


@dataclass(frozen=True)
class Next:
    """The runs to schedule and a sentence for the timeline saying why."""

    runs: tuple[NewRun, ...]
    note: str = ""


def steps_of(playbook: Playbook, phase: Phase) -> tuple[Step, ...]:
    return playbook.steps if phase is Phase.STEPS else playbook.on_resolve


def first_run(playbook: Playbook, phase: Phase, now: datetime) -> tuple[NewRun, ...]:
    steps = steps_of(playbook, phase)
    return (_new(steps[0], phase, 0, 1, now),) if steps else ()


def after_success(playbook: Playbook, run: StepRun, now: datetime) -> Next:
    return _step_at(playbook, run.phase, run.step_index + 1, now)


def retry_delay(step: Step, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: doubling backoff, capped, with equal jitter."""
    base = min(step.retry.backoff * 2.0 ** (attempt - 1), step.retry.max_backoff)
    return base / 2 + (rng or random).uniform(0, base / 2)


def after_failure(playbook: Playbook, run: StepRun, now: datetime, *, retryable: bool) -> Next:
    step = steps_of(playbook, run.phase)[run.step_index]
    if retryable and run.attempt < step.retry.attempts:
        delay = retry_delay(step, run.attempt)
        again = _new(
            step, run.phase, run.step_index, run.attempt + 1, now + timedelta(seconds=delay)
        )
        return Next(
            (again,),
            f"retrying in {delay:.1f}s (attempt {run.attempt + 1} of {step.retry.attempts})",
        )
    policy = step.on_failure
    if policy.policy == "continue":
        following = _step_at(playbook, run.phase, run.step_index + 1, now)
        return Next(following.runs, "on_failure: continue")
    if policy.policy == "fallback" and policy.fallback:
        target = playbook.step_index(policy.fallback)
        return Next(
            _step_at(playbook, run.phase, target, now).runs,
            f"on_failure: falling back to step {policy.fallback!r}",
        )
    return Next(
        (),
        "on_failure: abort; the remaining steps will not run and the incident "
        "stays open for people to handle",
    )


def _step_at(playbook: Playbook, phase: Phase, index: int, now: datetime) -> Next:
    steps = steps_of(playbook, phase)
    if index >= len(steps):
        return Next((), "all steps done" if phase is Phase.STEPS else "all on_resolve steps done")
    return Next((_new(steps[index], phase, index, 1, now),))


def _new(step: Step, phase: Phase, index: int, attempt: int, due: datetime) -> NewRun:
    return NewRun(phase, index, step.id, step.action, attempt, due)
