"""Who is on call now, the state of every alert and metric trigger, and the silences in
force: what a lead checks first when something looks wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from surge.playbook.model import AlertTrigger, MetricTrigger, Playbook
from surge.roles import READ
from surge.rota.oncall import report
from surge.store.records import IncidentStatus, Silence, TriggerPhase, TriggerState
from surge.triggers.silences import silence_active, silence_matches
from surge.triggers.watcher import series_text
from surge.web.auth import console_page
from surge.web.console.render import render
from surge.web.keys import runtime

routes = web.RouteTableDef()
PHASES = {  # a stored metric trigger's phase, as the console names it
    TriggerPhase.INACTIVE: "ok",
    TriggerPhase.PENDING: "pending",
    TriggerPhase.FIRING: "firing",
    TriggerPhase.CLEARING: "firing",  # still firing until the clear condition has held
    TriggerPhase.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class TriggerRow:
    playbook: str
    kind: str  # alert or metric
    condition: str  # the matchers, or the query
    series: str  # the labels of one series ("" for an alert trigger)
    state: str  # ok, pending, firing, unknown, silenced
    since: datetime | None = None
    value: float | None = None


def trigger_rows(
    playbooks: list[Playbook],
    states: list[TriggerState],
    silences: list[Silence],
    alerting: set[str],
) -> list[TriggerRow]:
    """One row per alert trigger and per series of each metric trigger (a metric trigger
    not evaluated yet is one ``unknown`` row). A signal an active silence matches is
    ``silenced`` whatever its phase; ``alerting`` names playbooks with an open incident
    that an alert opened."""
    rows: list[TriggerRow] = []
    for playbook in playbooks:
        for trigger in playbook.triggers:
            if isinstance(trigger, AlertTrigger):
                labels = {item.name: item.value for item in trigger.matchers if item.op == "="}
                state = "firing" if playbook.id in alerting else "ok"
                if _silenced(silences, labels):
                    state = "silenced"
                condition = ", ".join(str(item) for item in trigger.matchers)
                rows.append(TriggerRow(playbook.id, "alert", condition, "", state))
            elif isinstance(trigger, MetricTrigger):
                rows.extend(_metric_rows(playbook, trigger, states, silences))
    return rows


def _metric_rows(
    playbook: Playbook, trigger: MetricTrigger, states: list[TriggerState], silences: list[Silence]
) -> list[TriggerRow]:
    mine = [
        item for item in states if item.playbook_id == playbook.id and item.trigger == trigger.key
    ]
    if not mine:
        return [TriggerRow(playbook.id, "metric", trigger.query, "", "unknown")]
    rows = []
    for item in mine:
        state = "silenced" if _silenced(silences, item.labels) else PHASES[item.phase]
        series = series_text(item.series)
        rows.append(
            TriggerRow(playbook.id, "metric", trigger.query, series, state, item.since, item.value)
        )
    return rows


def _silenced(silences: list[Silence], labels: dict[str, str]) -> bool:
    return any(silence_matches(silence, labels) for silence in silences)


async def overview_context(request: web.Request) -> dict[str, Any]:
    state = runtime(request)
    now = datetime.now(UTC)
    active = [
        item
        for item in await state.store.list_silences(unexpired_at=now)
        if silence_active(item, now)
    ]
    open_alerts = await state.store.list_incidents(
        statuses=[status for status in IncidentStatus if status.is_open], limit=1000
    )
    alerting = {item.playbook_id for item in open_alerts if item.trigger == "alert"}
    rota = state.engine.services.rota
    return {
        "oncall": report(rota, now) if rota is not None else None,
        "triggers": trigger_rows(
            list(state.playbooks.all()), await state.store.trigger_states(), active, alerting
        ),
        "silences": active,
    }


@routes.get("/console/overview")
@console_page(READ)
async def overview(request: web.Request) -> web.Response:
    return await render(request, "overview.html", **await overview_context(request))
