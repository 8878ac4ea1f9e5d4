"""``/api/v1/incidents/{id}/customers``: the affected customers an incident collects.

Adding needs ``respond``; listing needs ``read``, and shows the contact in full only to
callers who may respond (everyone else sees it masked). The audit log and the timeline
record the customer's reference and channel, never the contact or the note.
"""

from __future__ import annotations

from aiohttp import web

from surge import serialize
from surge.audit import changes
from surge.customers.records import MAX_CHANNEL, MAX_CONTACT, MAX_NOTE, MAX_REF
from surge.customers.service import CustomerError, Customers, NoIncident
from surge.roles import READ, RESPOND
from surge.web.api import INCIDENT_ID
from surge.web.audit import audit
from surge.web.auth import requires
from surge.web.errors import error_response, json_body
from surge.web.keys import principal, runtime
from surge.web.openapi import Answer, Body, Schema, describe
from surge.web.params import record_id
from surge.web.schemas import ID, TEXT, TIME, record

routes = web.RouteTableDef()
CUSTOMER = Schema(
    "AffectedCustomer",
    record(
        {
            "id": ID,
            "incident": ID,
            "ref": {**TEXT, "description": "the customer's reference (account, order)"},
            "channel": {**TEXT, "description": "where they reached the service"},
            "contact": {
                "type": ["string", "null"],
                "description": "in full for callers who may respond, else null",
            },
            "contact_masked": {**TEXT, "description": "e.g. a***@example.com, *******5678"},
            "note": TEXT,
            "added_by": TEXT,
            "added_at": TIME,
        },
        "A customer an incident concerns. The contact is personal data.",
    ),
)
NEW_CUSTOMER = {
    "type": "object",
    "required": ["ref"],
    "properties": {
        "ref": {"type": "string", "minLength": 1, "maxLength": MAX_REF},
        "channel": {"type": "string", "maxLength": MAX_CHANNEL},
        "contact": {"type": "string", "maxLength": MAX_CONTACT},
        "note": {"type": "string", "maxLength": MAX_NOTE},
    },
    "additionalProperties": False,
}


def _service(request: web.Request) -> Customers:
    customers = runtime(request).engine.services.customers
    if customers is None:  # the runtime always sets it; a bare test app may not
        raise web.HTTPServiceUnavailable(reason="affected customers are not set up")
    return customers


@routes.get("/api/v1/incidents/{id}/customers")
@requires(READ)
@describe(
    "incidents.customers.list",
    "The incident's affected customers, in the order they were added",
    tags=["incidents"],
    params=[INCIDENT_ID],
    responses={
        200: Answer("the customers", record({"customers": {"type": "array", "items": CUSTOMER}})),
        404: "no such incident",
    },
)
async def list_customers(request: web.Request) -> web.Response:
    incident_id = record_id(request, "incident")
    try:
        found = await _service(request).list(incident_id)
    except NoIncident:
        return error_response(404, f"no incident {incident_id}")
    full = principal(request).may(RESPOND)
    return web.json_response(
        {"customers": [serialize.customer(item, contact=full) for item in found]}
    )


@routes.post("/api/v1/incidents/{id}/customers")
@requires(RESPOND)
@describe(
    "incidents.customers.add",
    "Add an affected customer to the incident",
    description="A customer is on an incident once: adding the same ref again answers 200 "
    "with the one already there and changes nothing.",
    tags=["incidents"],
    params=[INCIDENT_ID],
    body=Body(
        NEW_CUSTOMER,
        "the customer",
        required=True,
        example={"ref": "C-1042", "channel": "hotline", "contact": "13812345678", "note": "雨天"},
    ),
    responses={
        201: Answer("added", CUSTOMER),
        200: Answer("the incident had this customer already", CUSTOMER),
        400: "the body is not a customer (`problems` lists each reason)",
        404: "no such incident",
    },
)
async def add_customer(request: web.Request) -> web.Response:
    incident_id = record_id(request, "incident")
    body = await json_body(request)
    who = principal(request).name
    try:
        customer, created = await _service(request).add(incident_id, body, who)
    except CustomerError as error:
        return error_response(400, "invalid customer", problems=error.problems)
    except NoIncident:
        return error_response(404, f"no incident {incident_id}")
    if created:
        await audit(request, changes.customer_added(customer))
    return web.json_response(
        serialize.customer(customer, contact=True), status=201 if created else 200
    )
