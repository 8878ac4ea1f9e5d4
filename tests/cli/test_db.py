"""``surge migrate`` and ``surge db copy``, run as real processes: a populated SQLite store
goes to PostgreSQL and back with every row intact, checked by counts and checksums."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from integration.services import run_surge
from store.test_replicas import request

from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.store import open_store
from surge.store.base import Store
from surge.store.records import (
    ActiveScript,
    Approval,
    AuditEntry,
    ChannelMessage,
    ChannelNotice,
    ChannelRoom,
    ConsoleSession,
    EngineRecord,
    HotlineRecord,
    IncidentStatus,
    MessageState,
    RoomState,
    Silence,
    TimelineEntry,
    TokenRecord,
    TriggerPhase,
    TriggerState,
)
from surge.store.sql.migrations import available, latest
from surge.subscriptions.records import (
    DeliveryState,
    NoticeUpdate,
    Requested,
    Subscriber,
    SubscriberKind,
    SubscriberState,
    UpdateText,
)

SCHEMA = latest("sqlite")
PLAYBOOK = """
    id: moving
    title: Moving house 搬家
    steps:
      - {id: first, action: log, with: {message: "第一步 {{ params.city }}"}}
      - {id: pause, action: wait, with: {for: 50ms}}
      - {id: last, action: log, with: {message: done}}
    on_resolve:
      - {id: closing, action: log, with: {message: closed}}
"""
HOLDING = """
    id: holding
    title: Holds
    steps:
      - {id: hold, action: wait, with: {until: acknowledged, timeout: 1h}}
"""


async def populate(make_runtime, write_playbook, wait_settled) -> None:
    """A store with something in every table, written the way surge writes it."""
    write_playbook("moving", PLAYBOOK.replace("{{ params.city }}", "上海"))
    write_playbook("holding", HOLDING)
    runtime = await make_runtime()
    store, now = runtime.store, runtime.engine.clock()
    done = await runtime.engine.trigger("moving", {}, actor="lee")
    await wait_settled(runtime, done.id)
    await runtime.engine.change_status(done.id, IncidentStatus.RESOLVED, "lee", "fixed 修好了")
    await wait_settled(runtime, done.id)
    waiting = await runtime.engine.trigger("holding", {}, actor="kim")
    notes = [
        TimelineEntry(waiting.id, now, "test", "note", f"note {n} 备注") for n in range(12_000)
    ]
    await store.append_timeline(notes)  # enough rows for progress lines
    admitted = await store.admit(request("fp@t0"), now)
    assert admitted.incident is not None
    await store.add_silence(Silence(0, ['alertname="X"'], now, None, "维护", "lee", now))
    await store.add_token(TokenRecord("ops", "responder", "ab" * 32, now))
    state = TriggerState("moving", "k", '{"a":"1"}', TriggerPhase.FIRING, now, {"a": "1"}, 0.1)
    await store.save_trigger_states([state])
    await store.add_approval(Approval("outage", "c" * 64, "lee", now, "批准"))
    await store.set_active_script(ActiveScript(waiting.id, "outage", {"eta": "1h"}, "lee", now))
    await store.acquire_lease("x", "one", now, now + timedelta(hours=1))
    await store.heartbeat(EngineRecord("another-replica", "host-2", 42, now, now))
    await store.add_audit(AuditEntry(now, "lee", "admin", "cli@host as lee", "token.create"))
    await page_and_open_channels(store, waiting.id, now)
    await subscribe_and_deliver(store, now)
    customers = runtime.engine.services.customers
    assert customers is not None
    await customers.add(waiting.id, {"ref": "C-1", "contact": "13812345678", "note": "退款"}, "lee")
    await publish_notices(store, waiting.id, now)
    await store.console_secret("s" * 43, now)
    session = ConsoleSession("d" * 64, "ab" * 32, "ops", "responder", now, now + timedelta(hours=1))
    await store.add_console_session(session)
    await runtime.close()


async def page_and_open_channels(store: Store, incident_id: int, now: datetime) -> None:
    """The paging and channel tables, as the page and channel.* actions fill them."""
    [run, *_] = await store.runs(incident_id)
    key = f"{incident_id}:steps:hold:1"
    escalation = await store.start_escalation(
        Escalation(0, incident_id, key, "escalation", "sre", run.id, now, now, people=["ann"]),
        [],
    )
    page, _ = await store.begin_page(
        PageRecord(
            0,
            escalation.id,
            incident_id,
            f"{key}:ann",
            "ann",
            0,
            0,
            0,
            "email",
            "ann@example.com",
            PageStatus.SENDING,
            now,
        ),
        [],
    )
    await store.finish_page(page.id, PageStatus.SENT, now, "", [])
    await store.answer_page(page.id, Answer.ACK, "link", now, [])
    await store.called(["bo", "李"], now)
    await store.save_channel_room(
        ChannelRoom(incident_id, "incident-room", "slack", RoomState.OPEN, now, "C1", "inc-1")
    )
    await store.save_channel_message(
        ChannelMessage(
            key,
            incident_id,
            "incident-room",
            "post",
            MessageState.SENT,
            now,
            now,
            delivered_to="incident-room",
            provider="slack",
            ref="1.2",
            pinned=True,
        )
    )
    await store.save_hotline(HotlineRecord(incident_id, "hotline", RoomState.OPEN, now, "400-1"))
    await store.save_channel_notice(
        ChannelNotice(1, "agents", MessageState.SENT, now, "slack", "C2", "1.6", 1, True)
    )


async def subscribe_and_deliver(store: Store, now: datetime) -> None:
    """The subscription tables: a confirmed subscriber, a queued version, one attempt."""
    ann = Subscriber(
        0, SubscriberKind.EMAIL, "ann@example.com", "zh-TW", ("web-chat",),
        SubscriberState.PENDING, now, "key", requested=Requested(("web-chat",), "zh-TW"),
    )  # fmt: skip
    added, _ = await store.add_subscriber(ann)
    await store.confirm_subscriber(added.id, now)
    texts = {"zh-TW": UpdateText("線上客服故障", "處理中")}
    await store.queue_update(NoticeUpdate(1, 1, "investigating", {}, texts, now), now)
    [claimed] = await store.claim_deliveries("copy", now, now + timedelta(minutes=1), 10)
    await store.finish_delivery(claimed.delivery.id, "copy", DeliveryState.SENT, now, ref="<1@x>")


async def publish_notices(store: Store, incident_id: int, now: datetime) -> None:
    """The notice tables, as the notice.* and banner.* actions fill them."""
    from store.test_notices import notice, version

    from surge.notices.model import Banner, ComponentState, ComponentStatus, Severity

    key = f"{incident_id}:steps:notice"
    await store.add_notice_version(
        notice(incident_id=incident_id, key=key, created_at=now, updated_at=now),
        version(key=key, at=now),
        publish=True,
    )
    await store.set_component_state(
        ComponentState("hotline", ComponentStatus.PARTIAL_OUTAGE, now, "李")
    )
    banner = Banner(
        0, "traffic-banner", "e" * 64, {"x": "帮助"}, {"zh-CN": "繁忙"}, Severity.WARNING, "/help",
        "playbook", now, incident_id=incident_id, key=f"{incident_id}:steps:banner",
    )  # fmt: skip
    await store.show_banner(banner)


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {name: sorted(db.execute(f"SELECT * FROM {name}"), key=repr) for name in tables}


async def test_migrate_shows_what_it_applies_on_both_backends(tmp_path, postgres_url):
    for url in (f"sqlite:///{tmp_path}/new.db", postgres_url):
        code, output = await run_surge("migrate", "--store", url, "--dry-run", "--json")
        assert code == 0, output
        planned = json.loads(output)
        assert (planned["from"], planned["to"], planned["dry_run"]) == (0, 0, True)
        assert [m["file"] for m in planned["migrations"]] == [m.file for m in available("sqlite")]
        code, output = await run_surge("migrate", "--store", url)
        assert code == 0, output
        assert f"schema 0 → {SCHEMA}" in output and "0004_scripts.sql" in output
        code, output = await run_surge("migrate", "--store", url, "--json")
        assert json.loads(output)["migrations"] == [] and json.loads(output)["to"] == SCHEMA
        code, output = await run_surge("migrate", "--store", url)
        assert f"schema {SCHEMA}, up to date" in output


async def test_copy_round_trips_a_populated_store_through_postgresql(
    tmp_path, make_runtime, write_playbook, wait_settled, postgres_url
):
    await populate(make_runtime, write_playbook, wait_settled)
    original = tmp_path / "surge.db"
    source = f"sqlite:///{original}"

    code, output = await run_surge("db", "copy", source, postgres_url, "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["ok"]
    by_table = {item["table"]: item for item in report["tables"]}
    expected = {name: len(found) for name, found in rows(original).items()}
    expected.pop("schema_version")
    assert {name: item["rows"] for name, item in by_table.items()} == expected
    assert all(count > 0 for count in expected.values()), expected  # every table was used
    assert all(item["copied_checksum"] == item["source_checksum"] for item in by_table.values())

    code, output = await run_surge("db", "copy", source, postgres_url)
    assert code == 1
    assert "the destination is not empty" in output and "--overwrite" in output

    code, output = await run_surge("db", "copy", source, postgres_url, "--overwrite")
    assert code == 0, output
    progress = re.findall(r"copying timeline: (\d+)/(\d+) rows", output)  # on a big table
    assert len(progress) >= 2 and progress[-1][0] == progress[-1][1] == str(expected["timeline"])
    assert "every table matches" in output and "DIFFERS" not in output

    back = tmp_path / "back.db"
    code, output = await run_surge("db", "copy", postgres_url, f"sqlite:///{back}", "--json")
    assert code == 0 and json.loads(output)["ok"], output
    assert rows(back) == rows(original)

    moved = open_store(postgres_url)  # new ids follow the copied ones
    await moved.open()
    [newest, *_] = await moved.list_incidents()
    created = await moved.create_incident(replace(newest, id=0, group_key=""), [], [])
    await moved.close()
    assert created.id == newest.id + 1
    with psycopg.connect(postgres_url) as db:
        [(pending,)] = db.execute("SELECT COUNT(*) FROM step_runs WHERE status = 'waiting'")
    assert pending == 1  # the waiting step is still waiting on the new store
