"""``customers.collect``: records the customers a step knows, once each, and keeps their
contacts off the timeline and out of the stored arguments."""

from __future__ import annotations

import json


async def test_collect_records_customers_once_and_masks_their_contacts(
    write_playbook, make_runtime, wait_settled
):
    write_playbook(
        "pb",
        """
        id: pb
        title: Complaints
        params:
          contact: {type: string, default: "13812345678"}
        steps:
          - id: collect
            action: customers.collect
            with:
              customers:
                - {ref: C-1, channel: hotline, contact: "{{ params.contact }}", note: 退款}
                - {ref: C-2, contact: ann@example.com}
              ask: agents add the rest
          - id: again
            action: customers.collect
            with:
              customers: [{ref: C-1, contact: other}]
          - id: bad
            action: customers.collect
            with: {customers: [{ref: ""}]}
    """,
    )
    runtime = await make_runtime()
    incident = await runtime.engine.trigger("pb", {}, actor="ann")
    runs = await wait_settled(runtime, incident.id)
    assert [(run.step_id, run.status.value, run.result) for run in runs] == [
        ("collect", "succeeded", {"added": 2, "total": 2}),
        ("again", "succeeded", {"added": 0, "total": 2}),
        ("bad", "failed", None),
    ]
    assert runs[2].error == "customer 1: ref must be from 1 to 200 characters"
    stored = await runtime.store.customers(incident.id)
    assert [(c.ref, c.contact, c.added_by) for c in stored] == [
        ("C-1", "13812345678", "step:collect"),
        ("C-2", "ann@example.com", "step:collect"),
    ]
    timeline = await runtime.store.timeline(incident.id)
    notes = [entry.message for entry in timeline if entry.kind == "note"]
    assert notes[0] == (
        f"collecting affected customers: `surge customers {incident.id} --add REF` or "
        f"POST /api/v1/incidents/{incident.id}/customers; agents add the rest"
    )
    everything = json.dumps([[e.message, e.data] for e in timeline] + [r.args for r in runs])
    assert "13812345678" not in everything and "ann@example.com" not in everything
    assert "C-2" in everything  # the reference is not personal data
