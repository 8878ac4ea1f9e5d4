"""kill -9 a real ``surge serve`` while it hands a notice to the mail server and to a slow
webhook, start it again: the mail, which the server may have taken, is not sent again
(its delivery says ``unknown``); the webhook is sent again with the same Idempotency-Key,
which its receiver de-duplicates on; the next version reaches both exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from subscriptions.conftest import TEXTS
from test_crash import free_port, start_server

from surge.store import open_store
from surge.subscriptions.links import new_link_key
from surge.subscriptions.records import (
    DeliveryState,
    NoticeUpdate,
    Subscriber,
    SubscriberKind,
    SubscriberState,
)


class SlowReceiver:
    """Takes its time over the first delivery (surge is killed meanwhile); keeps each key once."""

    def __init__(self) -> None:
        self.arrivals: list[str] = []
        self.kept: dict[str, Any] = {}
        self.slow = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        self.arrivals.append(key)
        if key not in self.kept:
            self.kept[key] = await request.json()
            if len(self.kept) == 1:
                self.slow.set()
                await asyncio.sleep(2)
        return web.json_response({"ok": True})


def write_config(folder: Path, port: int, smtp_port: int) -> Path:
    (folder / "playbooks").mkdir()
    config = folder / "surge.yaml"
    config.write_text(
        textwrap.dedent(f"""
        store: sqlite:///{folder}/surge.db
        listen: 127.0.0.1:{port}
        public_url: http://127.0.0.1:{port}
        playbooks: {folder}/playbooks
        engine: {{lease: 1s, poll_interval: 50ms}}
        smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none}}
        subscriptions:
          poll_interval: 50ms
          lease: 1s
          retry: {{backoff: 200ms}}
          webhooks: {{allow_private: true}}
        """),
        encoding="utf-8",
    )
    return config


def update(version: int) -> NoticeUpdate:
    return NoticeUpdate(1, version, "investigating", {}, TEXTS, datetime.now(UTC))


async def test_kill_9_mid_send_sends_no_mail_twice_and_resends_a_webhook_by_its_key(
    tmp_path: Path, smtp_server: Any
) -> None:
    receiver = SlowReceiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    hook_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    port = free_port()
    config = write_config(tmp_path, port, smtp_server.port)
    store = open_store(f"sqlite:///{tmp_path}/surge.db")
    await store.open()
    now = datetime.now(UTC)
    for kind, address in (
        (SubscriberKind.EMAIL, "ann@example.com"),
        (SubscriberKind.WEBHOOK, f"http://127.0.0.1:{hook_port}/hook"),
    ):
        fresh = Subscriber(
            0, kind, address, "en", (), SubscriberState.ACTIVE, now, new_link_key(), secret="s"
        )
        await store.add_subscriber(fresh)
    smtp_server.hold(3)
    server = await start_server(config, port)
    try:
        await store.queue_update(update(1), datetime.now(UTC))
        await asyncio.to_thread(smtp_server.wait_for, 1, 10)
        await asyncio.wait_for(receiver.slow.wait(), timeout=10)
        os.kill(server.pid, signal.SIGKILL)  # the mail server has the mail; surge never heard
        await server.wait()
        smtp_server.hold(0)
        server = await start_server(config, port)
        for _ in range(200):  # the lease of the cut-off attempts runs out, then:
            found = {d.channel: d for d in await store.deliveries(notice_id=1)}
            if {d.state for d in found.values()} == {DeliveryState.UNKNOWN, DeliveryState.SENT}:
                break
            await asyncio.sleep(0.05)
        await store.queue_update(update(2), datetime.now(UTC))
        for _ in range(200):
            later = await store.deliveries(notice_id=1)
            busy = (DeliveryState.QUEUED, DeliveryState.SENDING)
            if len(later) == 4 and all(d.state not in busy for d in later):
                break
            await asyncio.sleep(0.05)
    finally:
        server.terminate()
        await server.wait()
        await runner.cleanup()
    mail, hook = found[SubscriberKind.EMAIL], found[SubscriberKind.WEBHOOK]
    assert mail.state is DeliveryState.UNKNOWN and "not sent again" in mail.error
    assert hook.state is DeliveryState.SENT and hook.attempts == 2
    received = smtp_server.received
    assert [m.recipients for m in received] == [["ann@example.com"], ["ann@example.com"]]
    assert len({m.message["Message-ID"] for m in received}) == 2  # version 1 once, 2 once
    assert [d.state for d in later if d.update_id != mail.update_id] == [DeliveryState.SENT] * 2
    keys = [key for key in receiver.kept]
    assert Counter(receiver.arrivals) == {keys[0]: 2, keys[1]: 1}  # v1 again by its key
    attempts = await store.delivery_attempts([mail.id, hook.id])
    assert [(a.delivery_id, a.status) for a in attempts] == [
        (mail.id, "unknown"),
        (hook.id, "unknown"),
        (hook.id, "sent"),
    ]
    await store.close()
