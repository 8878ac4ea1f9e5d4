"""The change feed on PostgreSQL: LISTEN on a dedicated connection.

Triggers in the schema (migrations/postgresql/0001_initial.sql) NOTIFY ``surge_changes``
when a timeline entry is written or a step run is new or falls due; PostgreSQL delivers a
notification only when its transaction commits, to every listening replica.
"""

from __future__ import annotations

import psycopg

from surge.store.postgresql.session import dedicated
from surge.store.replicas import Change, ChangeFeed

CHANNEL = "surge_changes"


def parse(payload: str) -> Change | None:
    """``timeline:INCIDENT:ENTRY`` or ``runs:INCIDENT``."""
    kind, _, rest = payload.partition(":")
    numbers = rest.split(":")
    if kind not in ("timeline", "runs") or not all(part.isdigit() for part in numbers):
        return None
    return Change(kind, int(numbers[0]), int(numbers[1]) if len(numbers) > 1 else 0)


class PostgresFeed(ChangeFeed):
    def __init__(self, conninfo: str) -> None:
        super().__init__()
        self.conninfo = conninfo

    async def _produce(self) -> None:
        conninfo = dedicated(self.conninfo, "surge-feed")
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            async for notify in conn.notifies():
                change = parse(notify.payload)
                if change is not None:
                    self.publish(change)
