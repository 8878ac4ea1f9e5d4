"""The store's side of backup channels: rooms, messages posted by steps, hotlines, and waking
waits with a signal. Portable SQL only (the PostgreSQL store runs the same statements)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from surge.store.records import (
    ChannelMessage,
    ChannelRoom,
    HotlineRecord,
    MessageState,
    RoomState,
)
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, from_json, opt_dt, opt_ts, to_json, ts

_ROOM_COLUMNS = "incident_id, channel, provider, state, room, name, url, data, opened_at, closed_at"
_MESSAGE_COLUMNS = (
    "message_key, incident_id, channel, kind, state, delivered_to, provider, room, ref,"
    " script_id, content_hash, pinned, error, started_at, updated_at"
)
_HOTLINE_COLUMNS = "incident_id, hotline, state, number, opened_at, closed_at"


def _upsert(table: str, columns: str, key: str) -> str:
    names = [name.strip() for name in columns.split(",")]
    keys = {part.strip() for part in key.split(",")}
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in keys)
    marks = ",".join("?" * len(names))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


_SAVE_ROOM = _upsert("channel_rooms", _ROOM_COLUMNS, "incident_id, channel")
_SAVE_MESSAGE = _upsert("channel_messages", _MESSAGE_COLUMNS, "message_key")
_SAVE_HOTLINE = _upsert("hotlines", _HOTLINE_COLUMNS, "incident_id, hotline")


def _room_from(row: Any) -> ChannelRoom:
    return ChannelRoom(
        incident_id=row["incident_id"],
        channel=row["channel"],
        provider=row["provider"],
        state=RoomState(row["state"]),
        opened_at=dt(row["opened_at"]),
        room=row["room"],
        name=row["name"],
        url=row["url"],
        data=from_json(row["data"]) or {},
        closed_at=opt_dt(row["closed_at"]),
    )


def _message_from(row: Any) -> ChannelMessage:
    return ChannelMessage(
        key=row["message_key"],
        incident_id=row["incident_id"],
        channel=row["channel"],
        kind=row["kind"],
        state=MessageState(row["state"]),
        started_at=dt(row["started_at"]),
        updated_at=dt(row["updated_at"]),
        delivered_to=row["delivered_to"],
        provider=row["provider"],
        room=row["room"],
        ref=row["ref"],
        script_id=row["script_id"],
        content_hash=row["content_hash"],
        pinned=bool(row["pinned"]),
        error=row["error"],
    )


def _hotline_from(row: Any) -> HotlineRecord:
    return HotlineRecord(
        incident_id=row["incident_id"],
        hotline=row["hotline"],
        state=RoomState(row["state"]),
        opened_at=dt(row["opened_at"]),
        number=row["number"],
        closed_at=opt_dt(row["closed_at"]),
    )


class ChannelStore:
    db: Database

    async def channel_room(self, incident_id: int, channel: str) -> ChannelRoom | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM channel_rooms WHERE incident_id = ? AND channel = ?",
                (incident_id, channel),
            ).fetchone()
        )
        return _room_from(row) if row else None

    async def channel_rooms(self, incident_id: int) -> list[ChannelRoom]:
        rows = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM channel_rooms WHERE incident_id = ? ORDER BY opened_at, channel",
                (incident_id,),
            ).fetchall()
        )
        return [_room_from(row) for row in rows]

    async def save_channel_room(self, room: ChannelRoom) -> None:
        values = (
            room.incident_id,
            room.channel,
            room.provider,
            room.state.value,
            room.room,
            room.name,
            room.url,
            to_json(room.data),
            ts(room.opened_at),
            opt_ts(room.closed_at),
        )
        await self.db.write(lambda db: db.execute(_SAVE_ROOM, values))

    async def channel_message(self, key: str) -> ChannelMessage | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM channel_messages WHERE message_key = ?", (key,)
            ).fetchone()
        )
        return _message_from(row) if row else None

    async def channel_messages(
        self, incident_id: int, *, channel: str | None = None, kind: str | None = None
    ) -> list[ChannelMessage]:
        query = "SELECT * FROM channel_messages WHERE incident_id = ?"
        values: list[Any] = [incident_id]
        for column, value in (("channel", channel), ("kind", kind)):
            if value is not None:
                query += f" AND {column} = ?"
                values.append(value)
        query += " ORDER BY started_at, message_key"
        rows = await self.db.run(lambda db: db.execute(query, tuple(values)).fetchall())
        return [_message_from(row) for row in rows]

    async def save_channel_message(self, message: ChannelMessage) -> None:
        values = (
            message.key,
            message.incident_id,
            message.channel,
            message.kind,
            message.state.value,
            message.delivered_to,
            message.provider,
            message.room,
            message.ref,
            message.script_id,
            message.content_hash,
            int(message.pinned),
            message.error,
            ts(message.started_at),
            ts(message.updated_at),
        )
        await self.db.write(lambda db: db.execute(_SAVE_MESSAGE, values))

    async def hotline(self, incident_id: int, hotline: str) -> HotlineRecord | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM hotlines WHERE incident_id = ? AND hotline = ?",
                (incident_id, hotline),
            ).fetchone()
        )
        return _hotline_from(row) if row else None

    async def save_hotline(self, record: HotlineRecord) -> None:
        values = (
            record.incident_id,
            record.hotline,
            record.state.value,
            record.number,
            ts(record.opened_at),
            opt_ts(record.closed_at),
        )
        await self.db.write(lambda db: db.execute(_SAVE_HOTLINE, values))

    async def signal_waits(self, incident_id: int, signal: dict[str, object], at: datetime) -> int:
        def work(db: Connection) -> int:
            rows = db.execute(
                "SELECT id, resume FROM step_runs WHERE incident_id = ? AND status = 'waiting'"
                " AND wake_on_status = 1",
                (incident_id,),
            ).fetchall()
            for row in rows:
                resume = dict(from_json(row["resume"]) or {})
                resume["signal"] = signal
                db.execute(
                    "UPDATE step_runs SET resume = ?, due_at = ?"
                    " WHERE id = ? AND status = 'waiting'",
                    (to_json(resume), ts(at), row["id"]),
                )
            return len(rows)

        return await self.db.write(work)
