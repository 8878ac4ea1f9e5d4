"""``AuditLog``: the one call that records a change, and the reading of the log."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from surge.audit.actor import Actor
from surge.audit.changes import Change
from surge.redact import Redactor
from surge.store.base import Store
from surge.store.records import AuditEntry, AuditOutcome, AuditQuery


def _now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Appends to the store's audit log, with the config's secrets and every value under a
    name like ``token`` or ``password`` masked first."""

    def __init__(
        self, store: Store, secrets: Iterable[str] = (), clock: Callable[[], datetime] = _now
    ) -> None:
        self.store = store
        self.clock = clock
        self._redactor = Redactor(secrets)

    async def record(
        self, actor: Actor, change: Change, outcome: AuditOutcome = AuditOutcome.OK
    ) -> AuditEntry:
        """Keep one entry: ``actor`` made ``change`` (or was denied it)."""
        entry = AuditEntry(
            at=self.clock(),
            actor=actor.name,
            role=actor.role,
            origin=actor.origin,
            action=change.action,
            target=self._redactor.text(change.target),
            outcome=outcome,
            detail=self._redactor.value(dict(change.detail)),
            address=actor.address,
        )
        return await self.store.add_audit(entry)

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        return await self.store.audit_entries(query)
