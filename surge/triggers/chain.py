"""One incident's step starting another playbook (``playbook.trigger``).

The start goes through the same admission as an alert: silences, the target's
``group_by`` (an open incident of the group takes it), ``cooldown`` and ``max_open``.
Its dedupe key is the step's idempotency key without the attempt, and it stays a
duplicate after the incident it opened is closed, so a step run again after a kill,
or retried after a failure, never opens a second incident. Both incidents' timelines
link to each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surge.engine.engine import Engine, UnknownPlaybook
from surge.playbook.params import coerce_params
from surge.store.records import Admitted, Incident
from surge.triggers.admission import Admission, Signal

SOURCE = "playbook"  # the incident's ``trigger``, and ``trigger`` in silence matchers
KIND = "playbook.triggered"  # the starting incident's timeline entry


@dataclass(frozen=True)
class Started:
    """What became of a start: opened, joined, duplicate (a re-run), cooldown, capped or
    silenced, and the incident concerned (none when silenced)."""

    playbook: str
    outcome: Admitted
    incident: int | None

    def result(self) -> dict[str, Any]:
        return {"playbook": self.playbook, "outcome": self.outcome.value, "incident": self.incident}


class Chains:
    def __init__(self, engine: Engine, admission: Admission | None = None) -> None:
        self.engine = engine
        self.admission = admission or Admission(engine)

    async def start(
        self,
        parent: Incident,
        step_id: str,
        idempotency_key: str,
        playbook_id: str,
        raw_params: Mapping[str, Any],
    ) -> Started:
        """Start ``playbook_id`` for ``parent``'s step; raises UnknownPlaybook, or
        ParamError (a ValueError) when the params do not fit the playbook."""
        engine = self.engine
        playbook = engine.playbooks.get(playbook_id)
        if playbook is None:
            raise UnknownPlaybook(playbook_id)
        params = coerce_params(playbook, raw_params)
        actor = f"incident:{parent.id}"
        key = idempotency_key.rsplit(":", 1)[0]  # every attempt of the step is one start
        silences = await engine.store.list_silences(unexpired_at=engine.clock())
        if self.admission.silenced(playbook, {}, SOURCE, silences):
            started = Started(playbook.id, Admitted.SILENCED, None)
        else:
            link = {"incident": parent.id, "playbook": parent.playbook_id, "step": step_id}
            signal = Signal(
                playbook=playbook,
                params=params,
                source=SOURCE,
                actor=actor,
                labels={},
                annotations={},
                fingerprint=f"incident:{parent.id}:{step_id}",
                dedupe_key=f"{SOURCE}:{key}",
                summary=f"started by incident {parent.id} ({parent.title}), step {step_id}",
                once=True,
                links={"parent": link},
            )
            result = await self.admission.admit(signal)
            child = result.incident.id if result.incident is not None else None
            started = Started(playbook.id, result.outcome, child)
        await self._note(parent, step_id, started)
        return started

    async def _note(self, parent: Incident, step_id: str, started: Started) -> None:
        """The starting incident's side of the link (a re-run notes its duplicate)."""
        what = {
            Admitted.OPENED: f"opened incident {started.incident}",
            Admitted.JOINED: f"joined open incident {started.incident}",
            Admitted.DUPLICATE: f"already started incident {started.incident}",
            Admitted.COOLDOWN: f"held back: cooldown after incident {started.incident}",
            Admitted.CAPPED: "held back: too many open incidents (max_open)",
            Admitted.SILENCED: "held back: silenced",
        }[started.outcome]
        await self.engine.note(
            parent.id,
            f"step:{step_id}",
            KIND,
            f"{step_id}: playbook {started.playbook}: {what}",
            {"child": started.result(), "step": step_id},
        )
