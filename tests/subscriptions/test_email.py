"""E-mail subscriptions end to end through a real SMTP server (aiosmtpd): double opt-in
(nothing but the confirmation reaches an unconfirmed address), delivery in the
subscriber's locale with RFC 8058 headers, one-click unsubscribe from the link in the
received mail, component filtering, and retries while the mail server is down."""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

from subscriptions.conftest import Client, mails, path_of, publish, settled

from surge.subscriptions.records import SubscriberState
from surge.web.keys import RUNTIME


async def subscribe(client: Client, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


def link(text: str, action: str) -> str:
    [found] = re.findall(rf"https?://\S+/subscriptions/{action}/[A-Za-z0-9_.=-]+", text)
    return str(found)


async def confirmed(client: Client, smtp_server: Any, address: str, count: int, **body: Any) -> Any:
    """Subscribe ``address`` and confirm it with the link from its mail (the ``count``th)."""
    await subscribe(client, email=address, **body)
    mail = (await mails(smtp_server, count))[count - 1]
    assert mail.recipients == [address]
    response = await client.post(path_of(link(mail.text, "confirm")))
    assert response.status == 200, await response.text()
    return mail


async def test_only_a_confirmed_address_gets_notices_in_its_locale(client, smtp_server):
    answer = await subscribe(
        client, email="Ann@Example.COM", components=["web-chat"], locale="zh-TW"
    )
    assert answer["state"] == "pending" and answer["email"] == "ann@example.com"
    [mail] = await mails(smtp_server, 1)
    assert mail.recipients == ["ann@example.com"]
    assert mail.message["Subject"] == "請確認訂閱 status.example.test 的服務狀態通知"
    assert "線上客服" in mail.text
    confirm = link(mail.text, "confirm")
    assert confirm in mail.html  # the button in the HTML part links to it too
    unsubscribe = mail.message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://status.example.test/subscriptions/unsubscribe/")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert await publish(client, 1, {"web-chat": "major_outage"}) == 0  # not confirmed yet
    page = await client.get(path_of(confirm))  # what a mail scanner does: nothing changes
    assert page.status == 200 and '<form method="post">' in await page.text()
    store = client.app[RUNTIME].store
    [pending] = await store.subscribers()
    assert pending.state is SubscriberState.PENDING

    done = await client.post(path_of(confirm))
    assert done.status == 200 and "訂閱已確認" in await done.text()
    assert await publish(client, 2, {"web-chat": "major_outage"}) == 1
    notice = (await mails(smtp_server, 2))[1]
    assert notice.message["Subject"] == "【調查中】線上客服故障"
    assert "請先撥打客服專線。" in notice.text and "線上客服 (嚴重中斷)" in notice.text
    key = f"notice:1:2:{pending.id}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    assert notice.message["Message-ID"] == f"<{digest}@example.test>"  # idempotent
    assert notice.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [delivered] = await settled(client)
    assert (delivered["state"], delivered["version"], delivered["ref"]) == (
        "sent",
        2,
        f"<{digest}@example.test>",
    )
    again = await client.post(path_of(confirm))  # a second click changes nothing
    assert again.status == 200


async def test_one_click_unsubscribe_from_the_mail_stops_every_later_notice(client, smtp_server):
    await confirmed(client, smtp_server, "ann@example.com", 1)
    await confirmed(client, smtp_server, "bo@example.com", 2)  # hears everything: the control
    await publish(client, 1)
    received = await mails(smtp_server, 4)
    ann = next(mail for mail in received[2:] if mail.recipients == ["ann@example.com"])
    one_click = ann.message["List-Unsubscribe"].strip("<>")
    assert one_click == link(ann.text, "unsubscribe")
    page = await client.get(path_of(one_click))
    assert page.status == 200 and "Unsubscribe ann@example.com" in await page.text()
    response = await client.post(
        path_of(one_click),
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200 and "No more status updates" in await response.text()

    await publish(client, 2)
    later = await mails(smtp_server, 5)
    await settled(client)
    await asyncio.sleep(0.2)
    assert [mail.recipients for mail in smtp_server.received[4:]] == [["bo@example.com"]]
    assert len(later) == 5
    assert (await client.post(path_of(one_click))).status == 200  # again: still unsubscribed


async def test_a_subscriber_hears_only_of_its_components(client, smtp_server):
    await confirmed(client, smtp_server, "all@example.com", 1)
    await confirmed(client, smtp_server, "chat@example.com", 2, components=["web-chat"])
    await confirmed(client, smtp_server, "phone@example.com", 3, components=["hotline"])
    assert await publish(client, 1, {"web-chat": "partial_outage"}) == 2
    deliveries = await settled(client)
    assert sorted(item["address"] for item in deliveries) == ["all@example.com", "chat@example.com"]
    assert {item["state"] for item in deliveries} == {"sent"}
    assert await publish(client, 2, {"hotline": "degraded_performance"}) == 2
    assert await publish(client, 3) == 3  # no component: a notice for everyone
    await settled(client)
    await mails(smtp_server, 3 + 2 + 2 + 3)
    await asyncio.sleep(0.2)
    assert len(smtp_server.received) == 10


async def test_deliveries_wait_and_retry_while_the_mail_server_is_down(
    client, smtp_server, tmp_path
):
    await confirmed(client, smtp_server, "ann@example.com", 1)
    smtp_server.stop()
    await publish(client, 1)
    store = client.app[RUNTIME].store
    for _ in range(200):
        [delivery] = await store.deliveries(notice_id=1)
        failed = [a for a in await store.delivery_attempts([delivery.id]) if a.status == "failed"]
        if len(failed) >= 2:
            break
        await asyncio.sleep(0.05)
    assert len(failed) >= 2 and delivery.state.value in ("queued", "sending")
    assert "cannot deliver through 127.0.0.1" in failed[0].error
    from support.smtp import SmtpServer

    restarted = SmtpServer.start(tmp_path, port=smtp_server.port)
    try:
        [mail] = await mails(restarted, 1)
        assert mail.recipients == ["ann@example.com"]
        [done] = await settled(client)
    finally:
        restarted.stop()
    assert done["state"] == "sent" and len(done["attempts"]) >= 3
    *failed, last = done["attempts"]
    assert {item["status"] for item in failed} == {"failed"} and last["status"] == "sent"
    assert all("cannot deliver" in item["error"] for item in failed)
    registry = client.app[RUNTIME].engine.metrics.registry
    counted = {
        outcome: registry.get_sample_value(
            "surge_subscription_deliveries_total", {"channel": "email", "outcome": outcome}
        )
        for outcome in ("sent", "retry")
    }
    assert counted == {"sent": 2.0, "retry": float(len(failed))}  # the confirmation, then this
