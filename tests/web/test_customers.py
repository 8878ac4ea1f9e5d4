"""``/api/v1/incidents/{id}/customers``: responders add, readers list with the contact
masked, and the contact never reaches the timeline or the audit log."""

from __future__ import annotations

import json

from surge.web.keys import RUNTIME

ANN = {"ref": "C-1042", "channel": "hotline", "contact": "13812345678", "note": "要求退款"}


async def _incident(client, auth) -> int:
    response = await client.post(
        "/api/v1/playbooks/waiter/trigger", json={}, headers=auth("responder")
    )
    return int((await response.json())["id"])


async def test_a_responder_adds_once_and_readers_see_the_contact_masked(client, auth):
    incident = await _incident(client, auth)
    path = f"/api/v1/incidents/{incident}/customers"
    response = await client.post(path, json=ANN, headers=auth("responder"))
    added = await response.json()
    assert response.status == 201, added
    assert {key: added[key] for key in ANN} == ANN
    assert added["contact_masked"] == "*******5678" and added["added_by"] == "responder-token"
    again = await client.post(path, json={**ANN, "note": "changed"}, headers=auth("responder"))
    assert again.status == 200 and (await again.json()) == added
    mail = {"ref": "C-7", "contact": "ann.lee@example.com"}
    assert (await client.post(path, json=mail, headers=auth("admin"))).status == 201

    seen = await (await client.get(path, headers=auth("viewer"))).json()
    assert [(c["ref"], c["contact"], c["contact_masked"]) for c in seen["customers"]] == [
        ("C-1042", None, "*******5678"),
        ("C-7", None, "a***@example.com"),
    ]
    full = await (await client.get(path, headers=auth("responder"))).json()
    assert [c["contact"] for c in full["customers"]] == ["13812345678", "ann.lee@example.com"]

    runtime = client.app[RUNTIME]
    timeline = [e for e in await runtime.store.timeline(incident) if e.kind == "customer.added"]
    assert [e.message for e in timeline] == [
        "affected customer C-1042 (hotline) added by responder-token",
        "affected customer C-7 added by admin-token",
    ]
    audit = await (await client.get("/api/v1/audit", headers=auth("admin"))).json()
    added_entries = [e for e in audit["entries"] if e["action"] == "customer.add"]
    assert len(added_entries) == 2
    everything = json.dumps([audit, [e.data for e in await runtime.store.timeline(incident)]])
    for secret in ("13812345678", "ann.lee", "要求退款"):
        assert secret not in everything


async def test_wrong_customers_and_incidents_are_refused_with_reasons(client, auth):
    incident = await _incident(client, auth)
    path = f"/api/v1/incidents/{incident}/customers"
    long_contact = "contact must be at most 200 characters"
    cases = [
        ({"ref": ""}, ["ref must be from 1 to 200 characters"]),
        ({"ref": 7, "contact": "x" * 201}, ["ref must be text", long_contact]),
        ({"ref": "a\x00b", "tel": "1"}, ["ref holds control characters", "unknown field 'tel'"]),
    ]
    for body, problems in cases:
        response = await client.post(path, json=body, headers=auth("responder"))
        assert response.status == 400
        assert (await response.json())["problems"] == problems
    assert (await client.post(path, json=[1], headers=auth("responder"))).status == 400
    missing = await client.post(
        "/api/v1/incidents/999/customers", json=ANN, headers=auth("responder")
    )
    assert missing.status == 404
    nowhere = await client.get("/api/v1/incidents/999/customers", headers=auth("viewer"))
    assert nowhere.status == 404
    assert (await client.post(path, json=ANN, headers=auth("viewer"))).status == 403
