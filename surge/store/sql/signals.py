"""Alerts and metric conditions: admission, signals, silences, timers, leases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from surge.store.records import (
    AdmitRequest,
    AdmitResult,
    Admitted,
    Incident,
    Silence,
    TriggerPhase,
    TriggerState,
)
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import (
    OPEN_INCIDENT,
    dt,
    firing_signals,
    from_json,
    incident_from,
    insert_entries,
    insert_incident,
    open_in_group,
    opt_dt,
    opt_ts,
    to_json,
    ts,
)


class SignalStore:
    db: Database

    async def admit(self, request: AdmitRequest, at: datetime) -> AdmitResult:
        # every admission of a playbook counts its open incidents: queue them, not race
        queue = f"admit:{request.incident.playbook_id}"
        return await self.db.write(lambda db: _admit(db, request, at), queue=queue)

    async def clear_signal(
        self, playbook_id: str, fingerprint: str, at: datetime
    ) -> tuple[Incident, int] | None:
        def work(db: Connection) -> tuple[Incident, int] | None:
            row = db.execute(
                "SELECT incident_id FROM signals WHERE playbook_id = ? AND fingerprint = ?"
                " AND firing = 1 ORDER BY id DESC LIMIT 1",
                (playbook_id, fingerprint),
            ).fetchone()
            if row is None:
                return None
            incident_id = row["incident_id"]
            db.execute(
                "UPDATE signals SET firing = 0, last_at = ? WHERE playbook_id = ?"
                " AND fingerprint = ? AND firing = 1",
                (ts(at), playbook_id, fingerprint),
            )
            incident = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,))
            return incident_from(incident.fetchone()), firing_signals(db, incident_id)

        return await self.db.write(work)

    # -- silences --

    async def add_silence(self, silence: Silence) -> Silence:
        def work(db: Connection) -> Silence:
            cursor = db.execute(
                "INSERT INTO silences (matchers, starts_at, ends_at, windows, timezone, comment,"
                " created_by, created_at, components) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    to_json(silence.matchers),
                    ts(silence.starts_at),
                    opt_ts(silence.ends_at),
                    to_json(silence.windows),
                    silence.timezone,
                    silence.comment,
                    silence.created_by,
                    ts(silence.created_at),
                    to_json(silence.components),
                ),
            )
            return replace(silence, id=int(cursor.fetchone()["id"]))

        return await self.db.write(work)

    async def list_silences(self, *, unexpired_at: datetime | None = None) -> list[Silence]:
        rows = await self.db.run(
            lambda db: db.execute("SELECT * FROM silences ORDER BY id DESC").fetchall()
        )
        silences = [_silence(row) for row in rows]
        if unexpired_at is None:
            return silences
        return [item for item in silences if not _expired(item, unexpired_at)]

    async def expire_silence(self, silence_id: int, at: datetime) -> bool:
        changed = await self.db.write(
            lambda db: (
                db.execute(
                    "UPDATE silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL",
                    (ts(at), silence_id),
                ).rowcount
            )
        )
        return changed > 0

    # -- metric trigger timers --

    async def trigger_states(self, playbook_id: str | None = None) -> list[TriggerState]:
        query, values = "SELECT * FROM trigger_states", tuple[str, ...]()
        if playbook_id is not None:
            query, values = query + " WHERE playbook_id = ?", (playbook_id,)
        rows = await self.db.run(lambda db: db.execute(query, values).fetchall())
        return [_state(row) for row in rows]

    async def save_trigger_states(
        self, states: Sequence[TriggerState], removed: Sequence[TriggerState] = ()
    ) -> None:
        def work(db: Connection) -> None:
            # removed first: a series dropped and started again in one round is saved
            db.executemany(
                "DELETE FROM trigger_states WHERE playbook_id = ? AND trigger = ? AND series = ?",
                [(s.playbook_id, s.trigger, s.series) for s in removed],
            )
            db.executemany(
                "INSERT INTO trigger_states (playbook_id, trigger, series, phase, since, labels,"
                " value, incident_id, updated_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (playbook_id, trigger, series) DO UPDATE SET phase = excluded.phase,"
                " since = excluded.since, labels = excluded.labels, value = excluded.value,"
                " incident_id = excluded.incident_id, updated_at = excluded.updated_at",
                [
                    (
                        s.playbook_id,
                        s.trigger,
                        s.series,
                        s.phase.value,
                        ts(s.since),
                        to_json(s.labels),
                        s.value,
                        s.incident_id,
                        ts(s.updated_at or s.since),
                    )
                    for s in states
                ],
            )

        if states or removed:
            await self.db.write(work)

    # -- leases --

    async def acquire_lease(self, name: str, holder: str, at: datetime, until: datetime) -> bool:
        def work(db: Connection) -> bool:
            cursor = db.execute(
                "INSERT INTO leases (name, holder, until) VALUES (?,?,?) ON CONFLICT (name)"
                " DO UPDATE SET holder = excluded.holder, until = excluded.until"
                " WHERE leases.holder = excluded.holder OR leases.until < ?",
                (name, holder, ts(until), ts(at)),
            )
            return cursor.rowcount > 0

        return await self.db.write(work)


def _admit(db: Connection, request: AdmitRequest, at: datetime) -> AdmitResult:
    new = request.incident
    if request.dedupe_key:
        seen = _seen(db, new.playbook_id, request.dedupe_key)
        # a repeat is a duplicate while its incident is open; once that one is closed, a
        # signal still firing is admitted again (and meets the cooldown)
        if seen is not None and (seen.status.is_open or request.once):
            return AdmitResult(Admitted.DUPLICATE, seen)
    open_now = open_in_group(db, new.playbook_id, new.group_key)
    if open_now is not None:
        insert_entries(db, [replace(request.joined, incident_id=open_now.id)])
        _remember(db, request, open_now.id, at)
        return AdmitResult(Admitted.JOINED, open_now)
    last = db.execute(
        "SELECT * FROM incidents WHERE playbook_id = ? AND group_key = ? AND status = 'resolved'"
        " ORDER BY resolved_at DESC LIMIT 1",
        (new.playbook_id, new.group_key),
    ).fetchone()
    if last is not None and ts(at) - last["resolved_at"] < request.cooldown:
        return AdmitResult(Admitted.COOLDOWN, incident_from(last))
    open_count = db.execute(
        f"SELECT COUNT(*) AS n FROM incidents WHERE playbook_id = ? AND {OPEN_INCIDENT}",
        (new.playbook_id,),
    ).fetchone()["n"]
    if open_count >= request.max_open:
        newest = db.execute(
            f"SELECT * FROM incidents WHERE playbook_id = ? AND {OPEN_INCIDENT}"
            " ORDER BY id DESC LIMIT 1",
            (new.playbook_id,),
        ).fetchone()
        return AdmitResult(Admitted.CAPPED, incident_from(newest) if newest else None)
    incident = insert_incident(db, new, request.first_runs, [request.opened])
    _remember(db, request, incident.id, at)
    return AdmitResult(Admitted.OPENED, incident)


def _seen(db: Connection, playbook_id: str, dedupe_key: str) -> Incident | None:
    row = db.execute(
        "SELECT i.* FROM signals s JOIN incidents i ON i.id = s.incident_id"
        " WHERE s.playbook_id = ? AND s.dedupe_key = ?",
        (playbook_id, dedupe_key),
    ).fetchone()
    return incident_from(row) if row else None


def _remember(db: Connection, request: AdmitRequest, incident_id: int, at: datetime) -> None:
    db.execute(
        "INSERT INTO signals (playbook_id, dedupe_key, fingerprint, incident_id, firing, labels,"
        " first_at, last_at) VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT (playbook_id, dedupe_key) DO UPDATE SET incident_id = excluded.incident_id,"
        " firing = excluded.firing, last_at = excluded.last_at",
        (
            request.incident.playbook_id,
            request.dedupe_key or f"{request.fingerprint}@{ts(at)}",
            request.fingerprint,
            incident_id,
            0 if request.once else 1,
            to_json(request.labels),
            ts(at),
            ts(at),
        ),
    )


def _expired(silence: Silence, at: datetime) -> bool:
    if silence.expired_at is not None and silence.expired_at <= at:
        return True
    return silence.ends_at is not None and silence.ends_at <= at


def _silence(row: Any) -> Silence:
    return Silence(
        id=row["id"],
        matchers=from_json(row["matchers"]),
        starts_at=dt(row["starts_at"]),
        ends_at=opt_dt(row["ends_at"]),
        comment=row["comment"],
        created_by=row["created_by"],
        created_at=dt(row["created_at"]),
        windows=from_json(row["windows"]),
        timezone=row["timezone"],
        expired_at=opt_dt(row["expired_at"]),
        components=from_json(row["components"]),
    )


def _state(row: Any) -> TriggerState:
    return TriggerState(
        playbook_id=row["playbook_id"],
        trigger=row["trigger"],
        series=row["series"],
        phase=TriggerPhase(row["phase"]),
        since=dt(row["since"]),
        labels=from_json(row["labels"]),
        value=row["value"],
        incident_id=row["incident_id"],
        updated_at=dt(row["updated_at"]),
    )
