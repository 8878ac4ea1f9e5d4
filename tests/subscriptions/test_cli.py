"""``surge subscribers list|remove|deliveries``, run as real processes: on the store
directly and through a server, tables for people and the API's JSON with ``--json``."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from integration.services import run_surge
from subscriptions.conftest import mails, publish, settled

from surge.config import TokenEntry
from surge.store.records import AuditQuery
from surge.web.auth import hash_token
from surge.web.keys import RUNTIME


def write_config(tmp_path: Any, store: str, smtp_port: int) -> str:
    path = tmp_path / "surge.yaml"
    path.write_text(
        f"store: {store}\nplaybooks: {tmp_path}\n"
        f"smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none}}\n",
        encoding="utf-8",
    )
    return str(path)


async def test_subscribers_are_listed_removed_and_their_deliveries_shown(
    client, smtp_server, tmp_path, subs_config, aiohttp_server
):
    from support.receiver import Receiver

    receiver = await Receiver.serve(aiohttp_server)
    await client.post("/api/v1/subscriptions", json={"email": "li@example.com"})
    await client.post(
        "/api/v1/subscriptions", json={"webhook": receiver.url + "/key-in-path", "locale": "zh-CN"}
    )
    await mails(smtp_server, 1)
    await publish(client, 1)
    await settled(client)
    config = write_config(tmp_path, subs_config.store, smtp_server.port)

    code, output = await run_surge("subscribers", "list", "--config", config)
    assert code == 0, output
    assert "li@example.com" in output and "pending" in output and "active" in output
    assert "key-in-path" not in output and "email: 1 pending; webhook: 1 active" in output
    code, output = await run_surge(
        "subscribers", "list", "--state", "active", "--json", "--config", config
    )
    page = json.loads(output)
    assert [item["kind"] for item in page["subscribers"]] == ["webhook"]
    assert page["subscribers"][0]["address"].endswith("/…")

    code, output = await run_surge("subscribers", "deliveries", "1", "--config", config)
    assert code == 0 and "sent" in output and "HTTP 200" not in output, output
    code, output = await run_surge("subscribers", "deliveries", "1", "--json", "--config", config)
    [delivery] = json.loads(output)["deliveries"]
    assert delivery["ref"] == "HTTP 200" and delivery["state"] == "sent"
    code, output = await run_surge("subscribers", "deliveries", "9", "--config", config)
    assert code == 1 and "no notice 9" in output

    webhook = page["subscribers"][0]["id"]
    code, output = await run_surge("subscribers", "remove", str(webhook), "--config", config)
    assert code == 0 and f"subscriber {webhook} removed" in output, output
    code, output = await run_surge("subscribers", "remove", str(webhook), "--config", config)
    assert code == 1 and f"no subscriber {webhook}" in output
    store = client.app[RUNTIME].store
    assert [item.address for item in await store.subscribers()] == ["li@example.com"]
    [entry, *_] = await client.app[RUNTIME].audit.entries(AuditQuery(limit=5))
    assert entry.action == "subscriber.remove" and entry.actor.startswith("cli:")


async def test_through_a_server_with_a_token(make_subs_client, subs_config, smtp_server):
    staff = dataclasses.replace(
        subs_config, tokens=(TokenEntry("comms-token", "comms", hash_token("t-comms")),)
    )
    client = await make_subs_client(staff)
    await client.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    server = str(client.make_url("")).rstrip("/")
    code, output = await run_surge(
        "subscribers", "list", "--json", "--server", server, "--token", "t-comms"
    )
    assert code == 0, output
    [ann] = json.loads(output)["subscribers"]
    code, output = await run_surge("subscribers", "list", "--server", server)
    assert code == 1 and "missing bearer token" in output
    remove = ("subscribers", "remove", str(ann["id"]), "--server", server, "--token", "t-comms")
    code, output = await run_surge(*remove)
    assert code == 0 and "removed" in output, output
    code, output = await run_surge(*remove)
    assert code == 1 and f"no subscriber {ann['id']}" in output
