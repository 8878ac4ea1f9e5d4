"""Adding and listing an incident's affected customers, for the API, the CLI and actions.

The timeline says that a customer was added (reference and channel), never their contact
or note: those are kept in the store for the people allowed to respond.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from surge.customers.records import AffectedCustomer, problems
from surge.store.base import Store
from surge.store.records import TimelineEntry

KIND = "customer.added"


class CustomerError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class NoIncident(LookupError):
    pass


class Customers:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def add(
        self, incident_id: int, fields: Mapping[str, Any], actor: str
    ) -> tuple[AffectedCustomer, bool]:
        """Add one customer from ``{ref, channel, contact, note}`` (only ``ref`` required);
        returns the stored one and whether it is new. Raises CustomerError, NoIncident."""
        values = {name: fields.get(name, "") for name in ("ref", "channel", "contact", "note")}
        found = problems(**values)
        unknown = sorted(str(name) for name in fields if name not in values)
        found += [f"unknown field {name!r}" for name in unknown]
        if found:
            raise CustomerError(found)
        if await self.store.get_incident(incident_id) is None:
            raise NoIncident(incident_id)
        now = self.clock()
        ref, channel = values["ref"].strip(), values["channel"].strip()
        customer = AffectedCustomer(
            incident_id, ref, channel, values["contact"].strip(), values["note"].strip(),
            actor, now,
        )  # fmt: skip
        where = f" ({channel})" if channel else ""
        entry = TimelineEntry(
            incident_id, now, actor, KIND, f"affected customer {ref}{where} added by {actor}",
            {"ref": ref, "channel": channel},
        )  # fmt: skip
        return await self.store.add_customer(customer, [entry])

    async def list(self, incident_id: int) -> list[AffectedCustomer]:
        if await self.store.get_incident(incident_id) is None:
            raise NoIncident(incident_id)
        return await self.store.customers(incident_id)
