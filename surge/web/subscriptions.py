"""Subscriptions over HTTP: customers subscribe (public, bounded), confirm and unsubscribe
through the signed links in their mails (public: the link is the key), and comms staff
list and remove subscribers and see each notice's deliveries (``publish``).

The link pages follow the paging links: a GET shows what the link will do and a button,
since mail scanners fetch links; the POST acts. The unsubscribe POST is also RFC 8058's
one-click unsubscribe (a mail client posts ``List-Unsubscribe=One-Click`` to the link).
"""

from __future__ import annotations

import html
import time

from aiohttp import web

from surge.audit.actor import client_address
from surge.audit.changes import Change
from surge.roles import PUBLISH
from surge.subscriptions import shapes
from surge.subscriptions.links import CONFIRM, UNSUBSCRIBE, LinkError
from surge.subscriptions.records import Subscriber, SubscriberKind, SubscriberState
from surge.subscriptions.requests import RequestError, read_request
from surge.subscriptions.service import (
    Refused,
    Subscriptions,
    delivery_list,
    removed,
    subscriber_page,
)
from surge.subscriptions.texts import LOCALES, word
from surge.web.audit import actor, audit
from surge.web.auth import public, requires
from surge.web.errors import error_response, json_body
from surge.web.keys import runtime
from surge.web.links import html_page
from surge.web.locales import best_locale
from surge.web.openapi import Answer, Body, describe, path, query
from surge.web.params import number, one, record_id
from surge.web.schemas import ID, MAYBE_TIME, TEXT, TEXTS, TIME, record

routes = web.RouteTableDef()
STATES = [state.value for state in SubscriberState]
KINDS = [kind.value for kind in SubscriberKind]
SUBSCRIBER = record(
    {
        "id": ID,
        "kind": {"enum": KINDS},
        "address": {**TEXT, "description": "the e-mail address, or the webhook's scheme and host"},
        "state": {"enum": STATES},
        "components": {**TEXTS, "description": "none: every component"},
        "locale": {"enum": list(LOCALES)},
        "created_at": TIME,
        "confirmed_at": MAYBE_TIME,
        "unsubscribed_at": MAYBE_TIME,
    },
    "A customer who subscribed to status notices.",
)
NEW_SUBSCRIPTION = {
    "type": "object",
    "description": "email or webhook (one of them), and optionally components and locale",
    "properties": {
        "email": {"type": "string", "maxLength": 254, "description": "double opt-in"},
        "webhook": {"type": "string", "maxLength": 2000, "description": "an http(s) URL"},
        "components": {
            "type": "array",
            "items": TEXT,
            "maxItems": 100,
            "description": "component ids; none: every component",
        },
        "locale": {"enum": list(LOCALES), "description": "default: from Accept-Language"},
    },
    "additionalProperties": False,
}
PENDING = record(
    {
        "state": {"const": "pending"},
        "email": TEXT,
        "message": {**TEXT, "description": "what happens next"},
    },
    "The same answer whether or not the address was subscribed before.",
)
CREATED = {
    "allOf": [
        SUBSCRIBER,
        record({"secret": {**TEXT, "description": "signs each delivery; shown only this once"}}),
    ]
}
DELIVERY = record(
    {
        "id": ID,
        "version": {"type": ["integer", "null"]},
        "subscriber": ID,
        "address": TEXT,
        "channel": {"enum": KINDS},
        "purpose": {"enum": ["notice", "confirm"]},
        "state": {
            "enum": ["queued", "sending", "sent", "failed", "unknown", "cancelled"],
        },
        "attempts": {"type": "array", "items": record({"attempt": ID, "status": TEXT})},
        "due_at": TIME,
        "sent_at": MAYBE_TIME,
        "error": {**TEXT, "description": "why the last attempt failed; no secrets"},
        "ref": {**TEXT, "description": "the mail's Message-ID, or the webhook's HTTP status"},
    }
)
_TOKEN = path(
    "token",
    {"type": "string", "pattern": "^[A-Za-z0-9_.=-]+$", "maxLength": 1024},
    "the signed link",
    "1.unsubscribe.0.0f0f",
)
_HTML = {"type": "string", "description": "an HTML page in the subscriber's language"}


def service(request: web.Request) -> Subscriptions:
    found = runtime(request).engine.services.subscriptions
    assert found is not None  # the runtime always builds it
    return found


def _client(request: web.Request) -> str:
    trusted = runtime(request).config.audit.trusted_proxies
    return client_address(request.remote, request.headers.getall("X-Forwarded-For", []), trusted)[0]


@routes.post("/api/v1/subscriptions")
@public("customers subscribe without an account; bounded per client address and in all")
@describe(
    "subscriptions.create",
    "Subscribe to status notices by e-mail (double opt-in) or webhook",
    description="An e-mail address gets a mail with a confirmation link and nothing else "
    "until it is used; a webhook is subscribed at once and gets its signing secret in the "
    "answer, once. Each client address may ask `subscriptions.rate_limit` times per period.",
    tags=["subscriptions"],
    body=Body(
        NEW_SUBSCRIPTION,
        "who to tell, and of which components",
        required=True,
        example={"email": "ann@example.com", "locale": "en"},
    ),
    responses={
        200: Answer("a confirmation mail is on its way", PENDING),
        201: Answer("the webhook, subscribed", CREATED),
        400: "the body is not a subscription (`problems` lists each reason)",
        409: "this webhook is subscribed already",
        429: Answer(
            "too many requests from this address", headers={"Retry-After": "seconds to wait"}
        ),
        503: "subscriptions are off, the mail server is not configured, or the caps are reached",
    },
)
async def subscribe(request: web.Request) -> web.Response:
    subscriptions = service(request)
    body = await json_body(request)
    default = best_locale(request.headers.get("Accept-Language", ""))
    allow_private = subscriptions.settings.allow_private_webhooks
    try:
        wanted = read_request(body, subscriptions.components, default, allow_private=allow_private)
    except RequestError as error:
        return error_response(400, "invalid subscription", problems=error.problems)
    client = _client(request)
    wait = subscriptions.limiter.allow(client, time.monotonic())
    if wait:
        seconds = int(wait) + 1
        refused = error_response(429, f"too many requests from {client}; wait {seconds} s")
        refused.headers["Retry-After"] = str(seconds)
        return refused
    try:
        done = await subscriptions.subscribe(wanted, client)
    except Refused as refused:
        return error_response(refused.status, str(refused))
    if wanted.kind is SubscriberKind.EMAIL:
        message = "check your mailbox: the subscription starts when you open the link we sent"
        return web.json_response({"state": "pending", "email": wanted.address, "message": message})
    shown = {**shapes.subscriber(done.subscriber), "address": wanted.address}
    change = Change("subscription.create", f"subscriber:{done.subscriber.id}", {"kind": "webhook"})
    await audit(request, change, who=actor(request, "public", "public"))
    return web.json_response({**shown, "secret": done.secret}, status=201)


def _link_answers(done: str) -> dict[int, Answer | str]:
    return {
        200: Answer(done, _HTML, content_type="text/html"),
        400: "the request line is too long for the server to read",
        404: Answer("the link is not valid (forged, cut short, or removed)", _HTML, "text/html"),
        410: Answer("the link has expired", _HTML, "text/html"),
    }


def _refusal(error: LinkError, locale: str = "en") -> web.Response:
    if error.expired:
        return html_page(
            410, locale, word(locale, "page.expired"), word(locale, "page.expired.text")
        )
    return html_page(404, locale, word(locale, "page.invalid"), str(error))


def _button(label: str) -> str:
    return f'<form method="post"><button type="submit">{html.escape(label)}</button></form>'


def _locale(found: Subscriber) -> str:
    return found.requested.locale if found.requested else found.locale


@routes.get("/subscriptions/confirm/{token}")
@public("the signed link in a confirmation mail is the key; opening it changes nothing")
@describe(
    "subscriptions.confirm_page",
    "What a confirmation link will do, with a button; opening it changes nothing",
    tags=["subscriptions"],
    params=[_TOKEN],
    responses=_link_answers("the confirmation page"),
)
async def confirm_page(request: web.Request) -> web.Response:
    try:
        found = await service(request).from_link(request.match_info["token"], CONFIRM)
    except LinkError as error:
        return _refusal(error)
    locale = _locale(found)
    button = _button(word(locale, "page.confirm.button"))
    return html_page(200, locale, word(locale, "page.confirm"), found.address, button)


@routes.post("/subscriptions/confirm/{token}")
@public("the signed link in a confirmation mail is the key")
@describe(
    "subscriptions.confirm",
    "Confirm an e-mail subscription: from now on it gets the notices it asked for",
    tags=["subscriptions"],
    params=[_TOKEN],
    responses=_link_answers("confirmed"),
)
async def confirm(request: web.Request) -> web.Response:
    subscriptions = service(request)
    try:
        found = await subscriptions.confirm(request.match_info["token"])
    except LinkError as error:
        return _refusal(error)
    change = Change("subscription.confirm", f"subscriber:{found.id}")
    await audit(request, change, who=actor(request, f"subscriber:{found.id}", "subscriber"))
    text = word(
        found.locale, "page.confirmed.text", site=subscriptions.site.name, address=found.address
    )
    return html_page(200, found.locale, word(found.locale, "page.confirmed"), text)


@routes.get("/subscriptions/unsubscribe/{token}")
@public("the signed link in every subscription mail is the key; opening it changes nothing")
@describe(
    "subscriptions.unsubscribe_page",
    "What an unsubscribe link will do, with a button; opening it changes nothing",
    tags=["subscriptions"],
    params=[_TOKEN],
    responses=_link_answers("the unsubscribe page"),
)
async def unsubscribe_page(request: web.Request) -> web.Response:
    try:
        found = await service(request).from_link(request.match_info["token"], UNSUBSCRIBE)
    except LinkError as error:
        return _refusal(error)
    locale = _locale(found)
    button = _button(word(locale, "page.unsubscribe.button", address=shapes.address(found)))
    return html_page(200, locale, word(locale, "page.unsubscribe"), "", button)


@routes.post("/subscriptions/unsubscribe/{token}")
@public("the signed link in every subscription mail is the key (RFC 8058 one-click)")
@describe(
    "subscriptions.unsubscribe",
    "Unsubscribe: nothing more is sent (also RFC 8058's one-click POST)",
    tags=["subscriptions"],
    params=[_TOKEN],
    responses=_link_answers("unsubscribed"),
)
async def unsubscribe(request: web.Request) -> web.Response:
    try:
        left = await service(request).unsubscribe(request.match_info["token"])
    except LinkError as error:
        return _refusal(error)
    change = Change("subscription.unsubscribe", f"subscriber:{left.id}")
    await audit(request, change, who=actor(request, f"subscriber:{left.id}", "subscriber"))
    text = word(left.locale, "page.unsubscribed.text", address=shapes.address(left))
    return html_page(200, left.locale, word(left.locale, "page.unsubscribed"), text)


@routes.get("/api/v1/subscribers")
@requires(PUBLISH)
@describe(
    "subscribers.list",
    "Subscribers, newest first",
    tags=["subscriptions"],
    params=[
        query("state", {"enum": STATES}, "only those in this state", "active"),
        query("kind", {"enum": KINDS}, "only e-mail or only webhook subscribers"),
        query("before", {"type": "integer", "minimum": 0}, "only those with a smaller id"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "default 100"),
    ],
    responses={
        200: Answer(
            "subscribers, and the counts of each kind in each state",
            record(
                {
                    "subscribers": {"type": "array", "items": SUBSCRIBER},
                    "counts": {"type": "object", "description": "kind: {state: count}"},
                    "next_before": {"type": ["integer", "null"]},
                }
            ),
        ),
        400: "a filter is not valid",
    },
)
async def list_subscribers(request: web.Request) -> web.Response:
    store = runtime(request).store
    state, kind = one(request, "state"), one(request, "kind")
    if state is not None and state not in STATES:
        raise web.HTTPBadRequest(reason=f"state must be one of {', '.join(STATES)}")
    if kind is not None and kind not in KINDS:
        raise web.HTTPBadRequest(reason=f"kind must be one of {', '.join(KINDS)}")
    limit = number(one(request, "limit", "100") or "100", "limit must be a number")
    if not 1 <= limit <= 1000:
        raise web.HTTPBadRequest(reason="limit must be from 1 to 1000")
    before_text = one(request, "before")
    before = number(before_text, "before must be an id") if before_text is not None else None
    page = await subscriber_page(
        store,
        state=SubscriberState(state) if state else None,
        kind=SubscriberKind(kind) if kind else None,
        before=before,
        limit=limit,
    )
    return web.json_response(page)


@routes.delete("/api/v1/subscribers/{id}")
@requires(PUBLISH)
@describe(
    "subscribers.remove",
    "Remove a subscriber, with its queued and past deliveries",
    description="Removing one that is gone already changes nothing (`removed` is false).",
    tags=["subscriptions"],
    params=[path("id", ID, "the subscriber's id", 1)],
    responses={200: Answer("done", record({"id": ID, "removed": {"type": "boolean"}}))},
)
async def remove_subscriber(request: web.Request) -> web.Response:
    subscriber_id = record_id(request, "subscriber")
    found = await runtime(request).store.subscriber(subscriber_id)
    done = await service(request).remove(subscriber_id)
    if done and found is not None:
        await audit(request, removed(found))
    return web.json_response({"id": subscriber_id, "removed": done})


@routes.get("/api/v1/notices/{id}/deliveries")
@requires(PUBLISH)
@describe(
    "notices.deliveries",
    "Every delivery of a notice's versions to subscribers, with each attempt",
    tags=["subscriptions"],
    params=[path("id", ID, "the notice's id", 1)],
    responses={
        200: Answer(
            "deliveries, oldest first", record({"deliveries": {"type": "array", "items": DELIVERY}})
        ),
        404: "no such notice",
    },
)
async def notice_deliveries(request: web.Request) -> web.Response:
    notice_id = record_id(request, "notice")
    state = runtime(request)
    found = await delivery_list(state.store, notice_id)
    if not found and await state.store.notice(notice_id) is None:
        return error_response(404, f"no notice {notice_id}")
    return web.json_response({"deliveries": found})
