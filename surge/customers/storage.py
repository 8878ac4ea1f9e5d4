"""The store's interface for affected customers (``surge.store.sql.customers`` implements it
for both backends; ``Store`` inherits it). Every method is one transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from surge.customers.records import AffectedCustomer

if TYPE_CHECKING:  # surge.store imports this module
    from surge.store.records import TimelineEntry


class CustomerStorage(ABC):
    @abstractmethod
    async def add_customer(
        self, customer: AffectedCustomer, entries: Sequence[TimelineEntry] = ()
    ) -> tuple[AffectedCustomer, bool]:
        """Store the customer with the timeline entries, returning it with its id and True;
        when the incident has a customer with that ``ref`` already, return that one with
        False and write nothing."""

    @abstractmethod
    async def customers(self, incident_id: int) -> list[AffectedCustomer]:
        """The incident's customers in the order they were added."""
