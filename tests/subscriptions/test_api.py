"""The subscription routes against hostile and careless input (every refusal a 4xx with
its reasons, nothing stored), their bounds (rate limit, caps), links that are forged,
cut short or expired, and the staff's view: listing, removing, deliveries per notice,
with no secret in any answer."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from subscriptions.conftest import Client, mails, path_of, publish, settled

from surge.config import Config, TokenEntry
from surge.store.records import AuditQuery
from surge.subscriptions.config import RateLimit
from surge.subscriptions.links import make_token
from surge.subscriptions.records import SubscriberKind
from surge.subscriptions.send import PublicResolver
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME

HOSTILE: list[tuple[Any, str]] = [
    ({}, "give either email"),
    ({"email": "ann@example.com", "webhook": "https://x.test/"}, "give either email"),
    ({"email": "not an address"}, "is not an address"),
    ({"email": "ann@localhost"}, "is not an address"),
    ({"email": "Ann <ann@example.com>"}, "is not an address"),
    ({"email": "ann@example.com\r\nBcc: all@example.com"}, "is not an address"),
    ({"email": "a" * 250 + "@example.com"}, "at most 254"),
    ({"email": 7}, "as a string"),
    ({"email": "ann@example.com", "components": ["tv"]}, "unknown component(s) 'tv'"),
    ({"email": "ann@example.com", "components": "web-chat"}, "must be a list"),
    ({"email": "ann@example.com", "components": ["web-chat"] * 101}, "at most 100"),
    ({"email": "ann@example.com", "locale": "fr"}, "locale must be one of"),
    ({"email": "ann@example.com", "colour": "red"}, "unknown field 'colour'"),
    ({"webhook": "ftp://x.test/"}, "http:// or https://"),
    ({"webhook": "https://user:pw@x.test/"}, "user name or password"),
    ({"webhook": "https://x.test/#top"}, "#fragment"),
    ({"webhook": "https://x.test/" + "a" * 2000}, "at most 2000"),
    ({"webhook": "https://x.test/a b"}, "without spaces"),
    ({"webhook": "https://x.test:99999/"}, "not a URL"),
]


async def test_hostile_subscriptions_are_400_with_reasons_and_store_nothing(client: Client):
    for body, reason in HOSTILE:
        response = await client.post("/api/v1/subscriptions", json=body)
        answer = await response.json()
        assert response.status == 400, (body, answer)
        assert any(reason in problem for problem in answer["problems"]), (reason, answer)
    for raw in (b"{not json", b"[1]", b'"x"', b'{"email": "\\ud800@x.test"}'):
        response = await client.post("/api/v1/subscriptions", data=raw)
        assert response.status == 400, raw
    big = b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    assert (await client.post("/api/v1/subscriptions", data=io.BytesIO(big))).status == 413
    assert await client.app[RUNTIME].store.subscribers() == []


async def test_each_client_address_is_rate_limited(make_subs_client, subs_config: Config):
    limited = dataclasses.replace(subs_config.subscriptions, rate_limit=RateLimit(3, 3600))
    client: Client = await make_subs_client(dataclasses.replace(subs_config, subscriptions=limited))
    for n in range(3):
        response = await client.post("/api/v1/subscriptions", json={"email": f"u{n}@example.com"})
        assert response.status == 200
    refused = await client.post("/api/v1/subscriptions", json={"email": "u9@example.com"})
    assert refused.status == 429 and 3500 < int(refused.headers["Retry-After"]) <= 3601
    bad = await client.post("/api/v1/subscriptions", json={"email": "bad"})
    assert bad.status == 400  # a refused body costs nothing and is judged first
    other = await client.post(
        "/api/v1/subscriptions",
        json={"email": "u9@example.com"},
        headers={"X-Forwarded-For": "203.0.113.9"},  # not believed: no trusted proxy
    )
    assert other.status == 429


async def test_caps_and_a_missing_mail_server_answer_503(make_subs_client, subs_config: Config):
    capped = dataclasses.replace(subs_config.subscriptions, max_pending=2)
    client: Client = await make_subs_client(dataclasses.replace(subs_config, subscriptions=capped))
    for n in range(2):
        await client.post("/api/v1/subscriptions", json={"email": f"u{n}@example.com"})
    full = await client.post("/api/v1/subscriptions", json={"email": "late@example.com"})
    assert full.status == 503 and "wait for confirmation" in (await full.json())["error"]
    known = await client.post("/api/v1/subscriptions", json={"email": "u0@example.com"})
    assert known.status == 200  # one already waiting may ask again
    unmailed: Client = await make_subs_client(dataclasses.replace(subs_config, smtp=None))
    response = await unmailed.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    assert response.status == 503 and "smtp" in (await response.json())["error"]


async def test_asking_again_mails_once_per_period_and_says_the_same(client, smtp_server):
    first = await client.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    second = await client.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    assert await first.json() == await second.json()
    await mails(smtp_server, 1)
    store = client.app[RUNTIME].store
    [ann] = await store.subscribers()
    assert len(await store.deliveries(subscriber_id=ann.id)) == 1


async def test_forged_cut_short_and_expired_links_are_refused(client, smtp_server):
    await client.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    [mail] = await mails(smtp_server, 1)
    [confirm] = re.findall(r"http://\S+/subscriptions/confirm/\S+", mail.text)
    good = path_of(confirm)
    store = client.app[RUNTIME].store
    [ann] = await store.subscribers()
    past = datetime.now(UTC) - timedelta(minutes=1)
    wrong_key = make_token("not-the-key", ann.id, "confirm", datetime.now(UTC) + timedelta(hours=1))
    for path, status in (
        (good[:-3], 404),
        (good.replace("/confirm/", "/unsubscribe/"), 404),  # a confirm token is no unsubscribe
        (f"/subscriptions/confirm/{wrong_key}", 404),
        (f"/subscriptions/confirm/{make_token(ann.link_key, ann.id, 'confirm', past)}", 410),
        (f"/subscriptions/confirm/{make_token(ann.link_key, 999, 'confirm', None)}", 404),
        ("/subscriptions/confirm/1.confirm.0", 404),
        ("/subscriptions/confirm/" + "9" * 30 + ".confirm.0.ab", 404),
    ):
        for method in ("GET", "POST"):
            response = await client.request(method, path)
            assert response.status == status, (method, path, await response.text())
            assert response.content_type == "text/html"
    [still] = await store.subscribers()
    assert still.state.value == "pending"
    assert ann.link_key not in mail.text  # links carry a signature, never the key


@pytest.fixture
def staff_config(subs_config: Config) -> Config:
    tokens = tuple(
        TokenEntry(f"{role}-token", role, hash_token(f"t-{role}"))
        for role in ("comms", "viewer", "admin")
    )
    return dataclasses.replace(subs_config, tokens=tokens)


def token(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer t-{role}"}


async def test_staff_list_and_remove_subscribers_and_see_deliveries(
    make_subs_client, staff_config, smtp_server, aiohttp_server
):
    from support.receiver import Receiver

    client: Client = await make_subs_client(staff_config)
    receiver = await Receiver.serve(aiohttp_server)
    hook = await client.post("/api/v1/subscriptions", json={"webhook": receiver.url + "/s3cr3t"})
    secret = (await hook.json())["secret"]
    await client.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    [mail] = await mails(smtp_server, 1)

    assert (await client.get("/api/v1/subscribers", headers=token("viewer"))).status == 403
    listing = await client.get("/api/v1/subscribers", headers=token("comms"))
    assert listing.status == 200
    text = await listing.text()
    assert secret not in text and "s3cr3t" not in text and "link_key" not in text
    shown = await listing.json()
    assert [item["kind"] for item in shown["subscribers"]] == ["email", "webhook"]
    assert shown["counts"] == {"email": {"pending": 1}, "webhook": {"active": 1}}
    active = await client.get(
        "/api/v1/subscribers", params={"state": "active"}, headers=token("comms")
    )
    assert [item["kind"] for item in (await active.json())["subscribers"]] == ["webhook"]
    for bad in ({"state": "gone"}, {"kind": "sms"}, {"limit": "0"}, {"before": "x"}):
        response = await client.get("/api/v1/subscribers", params=bad, headers=token("comms"))
        assert response.status == 400, bad

    await publish(client, 1)
    deliveries = await settled(client)
    response = await client.get("/api/v1/notices/1/deliveries", headers=token("comms"))
    assert (await response.json())["deliveries"] == deliveries
    assert [item["state"] for item in deliveries] == ["sent"]  # the pending address: nothing
    assert secret not in await response.text()
    missing = await client.get("/api/v1/notices/99/deliveries", headers=token("comms"))
    assert missing.status == 404 and (await missing.json())["error"] == "no notice 99"

    ann = next(item for item in shown["subscribers"] if item["kind"] == "email")
    removed = await client.delete(f"/api/v1/subscribers/{ann['id']}", headers=token("comms"))
    assert await removed.json() == {"id": ann["id"], "removed": True}
    again = await client.delete(f"/api/v1/subscribers/{ann['id']}", headers=token("admin"))
    assert await again.json() == {"id": ann["id"], "removed": False}
    [confirm] = re.findall(r"http://\S+/subscriptions/confirm/\S+", mail.text)
    assert (await client.post(path_of(confirm))).status == 404  # its links died with it
    entries = await client.app[RUNTIME].audit.entries(AuditQuery(limit=10))
    removal = next(entry for entry in entries if entry.action == "subscriber.remove")
    assert removal.actor == "comms-token" and removal.detail["address"] == "ann@example.com"


async def test_the_resolver_keeps_only_public_addresses():
    resolver = PublicResolver()
    try:
        with pytest.raises(OSError, match="no public address"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


async def test_the_locale_defaults_to_what_accept_language_prefers(client: Client):
    for header, expected in (("fr, zh-Hant;q=0.9, en;q=0.5", "zh-TW"), ("zh", "zh-CN"), ("", "en")):
        address = f"{expected.lower()}-{len(header)}@example.com"
        response = await client.post(
            "/api/v1/subscriptions", json={"email": address}, headers={"Accept-Language": header}
        )
        assert response.status == 200
        found = await client.app[RUNTIME].store.find_subscriber(SubscriberKind.EMAIL, address)
        assert found is not None and found.requested is not None
        assert found.requested.locale == expected, header


async def test_addresses_that_never_confirmed_make_room_once_their_link_expired(
    make_subs_client, subs_config: Config
):
    quick = dataclasses.replace(subs_config.subscriptions, max_pending=1, confirm_ttl=0.3)
    client: Client = await make_subs_client(dataclasses.replace(subs_config, subscriptions=quick))
    assert (
        await client.post("/api/v1/subscriptions", json={"email": "a@example.com"})
    ).status == 200
    assert (
        await client.post("/api/v1/subscriptions", json={"email": "b@example.com"})
    ).status == 503
    await asyncio.sleep(0.4)
    assert (
        await client.post("/api/v1/subscriptions", json={"email": "b@example.com"})
    ).status == 200
    store = client.app[RUNTIME].store
    assert [item.address for item in await store.subscribers()] == ["b@example.com"]
