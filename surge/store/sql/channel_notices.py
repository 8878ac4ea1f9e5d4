"""The store's side of notices shown on channels: which message shows a status notice on
which channel, so each later version updates it instead of posting another. Portable SQL
only (the PostgreSQL store runs the same statements)."""

from __future__ import annotations

from typing import Any

from surge.store.records import ChannelNotice, MessageState
from surge.store.sql.channels import _upsert
from surge.store.sql.connection import Database
from surge.store.sql.rows import dt, ts

_COLUMNS = "notice_id, channel, state, provider, room, ref, version, published, error, updated_at"
_SAVE = _upsert("channel_notices", _COLUMNS, "notice_id, channel")


def _from(row: Any) -> ChannelNotice:
    return ChannelNotice(
        notice_id=row["notice_id"],
        channel=row["channel"],
        state=MessageState(row["state"]),
        updated_at=dt(row["updated_at"]),
        provider=row["provider"],
        room=row["room"],
        ref=row["ref"],
        version=row["version"],
        published=bool(row["published"]),
        error=row["error"],
    )


class ChannelNoticeStore:
    db: Database

    async def channel_notice(self, notice_id: int, channel: str) -> ChannelNotice | None:
        row = await self.db.run(
            lambda db: db.execute(
                "SELECT * FROM channel_notices WHERE notice_id = ? AND channel = ?",
                (notice_id, channel),
            ).fetchone()
        )
        return _from(row) if row else None

    async def save_channel_notice(self, record: ChannelNotice) -> None:
        values = (
            record.notice_id,
            record.channel,
            record.state.value,
            record.provider,
            record.room,
            record.ref,
            record.version,
            int(record.published),
            record.error[:2000],
            ts(record.updated_at),
        )
        await self.db.write(lambda db: db.execute(_SAVE, values))
