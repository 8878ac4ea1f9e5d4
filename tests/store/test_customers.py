"""Affected customers on every backend: kept once per reference and incident, in the order
they were added, with the timeline entry written in the same transaction."""

from __future__ import annotations

from store.conftest import NOW, incident

from surge.customers.records import AffectedCustomer
from surge.store.records import TimelineEntry


def customer(incident_id: int, ref: str, contact: str = "13812345678") -> AffectedCustomer:
    return AffectedCustomer(incident_id, ref, "hotline", contact, "快递延误 三天", "ann", NOW)


async def test_customers_are_kept_once_per_reference_with_their_entry(store):
    first = await store.create_incident(incident(), [], [])
    other = await store.create_incident(incident(), [], [])
    entry = TimelineEntry(first.id, NOW, "ann", "customer.added", "C-1 added", {"ref": "C-1"})
    added, created = await store.add_customer(customer(first.id, "C-1"), [entry])
    assert created and added.id > 0 and added.added_at == NOW and added.note == "快递延误 三天"
    again, created = await store.add_customer(customer(first.id, "C-1", "other"), [entry])
    assert not created and again == added  # the first one stays; no second entry
    second, _ = await store.add_customer(customer(first.id, "C-2"))
    elsewhere, created = await store.add_customer(customer(other.id, "C-1"))
    assert created and elsewhere.id not in (added.id, second.id)
    assert [item.ref for item in await store.customers(first.id)] == ["C-1", "C-2"]
    assert await store.customers(other.id) == [elsewhere]
    assert await store.customers(999) == []
    kinds = [item.kind for item in await store.timeline(first.id)]
    assert kinds.count("customer.added") == 1
