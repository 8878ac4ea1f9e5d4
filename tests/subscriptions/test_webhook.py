"""Webhook subscriptions: a receiver on loopback gets one signed JSON POST per version, in
the subscriber's locale, and verifies it with the secret shown once; its unsubscribe link
works; a webhook into a private network is refused unless the config allows it."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import Any

from subscriptions.conftest import Client, path_of, publish, settled
from support.receiver import Receiver

from surge.config import Config
from surge.web.keys import RUNTIME


def verified(secret: str, received: Any) -> bool:
    """What a receiver does: HMAC-SHA256 of ``TIMESTAMP.BODY`` with its secret."""
    timestamp = received.headers["X-Surge-Timestamp"]
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256)
    return hmac.compare_digest(
        received.headers["X-Surge-Signature"], "sha256=" + digest.hexdigest()
    )


async def test_a_webhook_gets_each_version_signed_with_its_own_secret(client, aiohttp_server):
    receiver = await Receiver.serve(aiohttp_server)
    response = await client.post(
        "/api/v1/subscriptions",
        json={"webhook": receiver.url, "components": ["web-chat"], "locale": "zh-CN"},
    )
    assert response.status == 201, await response.text()
    created = await response.json()
    secret = created.pop("secret")
    assert len(secret) >= 40 and created["state"] == "active" and created["address"] == receiver.url
    listed = await client.app[RUNTIME].store.subscribers()
    assert listed[0].secret == secret

    again = await client.post("/api/v1/subscriptions", json={"webhook": receiver.url})
    assert again.status == 409

    assert await publish(client, 1, {"hotline": "major_outage"}) == 0  # not its component
    assert await publish(client, 2, {"web-chat": "major_outage"}) == 1
    [delivery] = await settled(client)
    assert delivery["state"] == "sent" and delivery["ref"] == "HTTP 200"
    [received] = receiver.requests
    assert verified(secret, received)
    assert not verified("another subscriber's secret", received)
    assert received.headers["Idempotency-Key"] == f"notice:1:2:{created['id']}"
    body = received.json()
    assert body["event"] == "notice.published"
    assert body["notice"]["title"] == "在线客服故障" and body["notice"]["locale"] == "zh-CN"
    assert body["notice"]["components"] == {"web-chat": "major_outage"}
    assert body["texts"]["en"]["title"] == "Web chat is down"
    assert secret not in received.body.decode()

    gone = await client.post(path_of(body["unsubscribe"]))
    assert gone.status == 200
    assert await publish(client, 3) == 0
    assert len(receiver.requests) == 1


async def test_a_failing_receiver_is_retried_and_its_url_path_stays_out_of_errors(
    client, aiohttp_server
):
    receiver = await Receiver.serve(aiohttp_server)
    receiver.plan = [503, 500]
    hook = receiver.url + "/T0K3N-in-the-path"
    response = await client.post("/api/v1/subscriptions", json={"webhook": hook})
    assert response.status == 201
    await publish(client, 1)
    [delivery] = await settled(client)
    assert delivery["state"] == "sent" and len(receiver.requests) == 3
    assert [item["status"] for item in delivery["attempts"]] == ["failed", "failed", "sent"]
    assert "HTTP 503" in delivery["attempts"][0]["error"]
    assert "T0K3N" not in str(delivery) and delivery["address"].endswith("/…")
    keys = {item.headers["Idempotency-Key"] for item in receiver.requests}
    assert len(keys) == 1  # every attempt carries the same key


async def test_private_webhooks_are_refused_unless_allowed(
    make_subs_client, subs_config: Config
) -> None:
    settings = dataclasses.replace(subs_config.subscriptions, allow_private_webhooks=False)
    client: Client = await make_subs_client(
        dataclasses.replace(subs_config, subscriptions=settings)
    )
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/x",
    ):
        response = await client.post("/api/v1/subscriptions", json={"webhook": url})
        assert response.status == 400, url
        assert "public address" in str(await response.json())
