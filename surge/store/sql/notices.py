"""The store's side of status notices: notices and every version, component statuses,
banners, and the status revision the public pages' caches watch. Portable SQL only.

Every write that changes what the public pages show bumps ``status_revision`` in the same
transaction, so a replica that sees the number change knows to rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from surge.notices.model import (
    Audience,
    Banner,
    ComponentState,
    ComponentStatus,
    Impact,
    Notice,
    NoticeChange,
    NoticeConflict,
    NoticeKind,
    NoticeState,
    NoticeVersion,
    Severity,
    StatusRows,
    VersionStatus,
)
from surge.notices.publishing import (
    component_statuses,
    published_notice,
    published_version,
    shows_components,
)
from surge.store.sql.connection import Connection, Database
from surge.store.sql.rows import dt, from_json, opt_dt, opt_ts, to_json, ts

QUEUE = "notices"  # writes that bump the status revision run one after another
_CLOSED = (NoticeState.RESOLVED.value, NoticeState.COMPLETED.value)
_NOTICE_COLUMNS = (
    "kind, audience, impact, state, components, incident_id, title, window_start, window_end,"
    " created_by, created_at, updated_at, published_at, resolved_at, key"
)
_VERSION_COLUMNS = (
    "notice_id, number, state, impact, components, script_id, content_hash, vars, title, body,"
    " author, at, status, published_by, published_at, announced_at, key"
)
_BANNER_COLUMNS = (
    "script_id, content_hash, vars, text, severity, link, shown_by, shown_at, expires_at,"
    " cleared_by, cleared_at, incident_id, key"
)


def _marks(columns: str) -> str:
    return ",".join("?" * len(columns.split(",")))


def _statuses(text: str) -> dict[str, ComponentStatus]:
    return {name: ComponentStatus(value) for name, value in (from_json(text) or {}).items()}


def _notice(row: Any) -> Notice:
    return Notice(
        id=row["id"],
        kind=NoticeKind(row["kind"]),
        audience=Audience(row["audience"]),
        impact=Impact(row["impact"]),
        state=NoticeState(row["state"]),
        components=_statuses(row["components"]),
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        created_by=row["created_by"],
        incident_id=row["incident_id"],
        title=from_json(row["title"]),
        window_start=opt_dt(row["window_start"]),
        window_end=opt_dt(row["window_end"]),
        published_at=opt_dt(row["published_at"]),
        resolved_at=opt_dt(row["resolved_at"]),
        key=row["key"] or "",
    )


def _version(row: Any) -> NoticeVersion:
    return NoticeVersion(
        notice_id=row["notice_id"],
        number=row["number"],
        state=NoticeState(row["state"]),
        impact=Impact(row["impact"]),
        components=_statuses(row["components"]),
        script_id=row["script_id"],
        content_hash=row["content_hash"],
        vars=from_json(row["vars"]),
        title=from_json(row["title"]),
        body=from_json(row["body"]),
        author=row["author"],
        at=dt(row["at"]),
        status=VersionStatus(row["status"]),
        published_by=row["published_by"],
        published_at=opt_dt(row["published_at"]),
        announced_at=opt_dt(row["announced_at"]),
        key=row["key"] or "",
    )


def _banner(row: Any) -> Banner:
    return Banner(
        id=row["id"],
        script_id=row["script_id"],
        content_hash=row["content_hash"],
        vars=from_json(row["vars"]),
        text=from_json(row["text"]),
        severity=Severity(row["severity"]),
        link=row["link"],
        shown_by=row["shown_by"],
        shown_at=dt(row["shown_at"]),
        expires_at=opt_dt(row["expires_at"]),
        cleared_by=row["cleared_by"],
        cleared_at=opt_dt(row["cleared_at"]),
        incident_id=row["incident_id"],
        key=row["key"] or "",
    )


def _notice_values(item: Notice) -> tuple[Any, ...]:
    return (
        item.kind.value,
        item.audience.value,
        item.impact.value,
        item.state.value,
        to_json({name: status.value for name, status in item.components.items()}),
        item.incident_id,
        to_json(dict(item.title)),
        opt_ts(item.window_start),
        opt_ts(item.window_end),
        item.created_by,
        ts(item.created_at),
        ts(item.updated_at),
        opt_ts(item.published_at),
        opt_ts(item.resolved_at),
        item.key or None,
    )


def _version_values(item: NoticeVersion) -> tuple[Any, ...]:
    return (
        item.notice_id,
        item.number,
        item.state.value,
        item.impact.value,
        to_json({name: status.value for name, status in item.components.items()}),
        item.script_id,
        item.content_hash,
        to_json(dict(item.vars)),
        to_json(dict(item.title)),
        to_json(dict(item.body)),
        item.author,
        ts(item.at),
        item.status.value,
        item.published_by,
        opt_ts(item.published_at),
        opt_ts(item.announced_at),
        item.key or None,
    )


def _one_notice(db: Connection, notice_id: int) -> Notice | None:
    row = db.execute("SELECT * FROM notices WHERE id = ?", (notice_id,)).fetchone()
    return _notice(row) if row else None


def _one_version(db: Connection, notice_id: int, number: int) -> NoticeVersion | None:
    row = db.execute(
        "SELECT * FROM notice_versions WHERE notice_id = ? AND number = ?", (notice_id, number)
    ).fetchone()
    return _version(row) if row else None


def _by_key(db: Connection, key: str) -> NoticeChange | None:
    row = db.execute("SELECT * FROM notice_versions WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    notice = _one_notice(db, row["notice_id"])
    assert notice is not None
    return NoticeChange(notice, _version(row), created=False)


def bump(db: Connection, at: datetime) -> None:
    """One more change the public pages show."""
    db.execute(
        "INSERT INTO status_revision (id, revision, changed_at) VALUES (1, 1, ?)"
        " ON CONFLICT (id) DO UPDATE SET revision = status_revision.revision + 1,"
        " changed_at = excluded.changed_at",
        (ts(at),),
    )


def _revision(db: Connection) -> int:
    row = db.execute("SELECT revision FROM status_revision WHERE id = 1").fetchone()
    return int(row["revision"]) if row else 0


def _insert_notice(db: Connection, notice: Notice) -> int:
    row = db.execute(
        f"INSERT INTO notices ({_NOTICE_COLUMNS}) VALUES ({_marks(_NOTICE_COLUMNS)}) RETURNING id",
        _notice_values(notice),
    ).fetchone()
    return int(row["id"])


def _save_notice(db: Connection, notice: Notice) -> None:
    sets = ", ".join(f"{name.strip()} = ?" for name in _NOTICE_COLUMNS.split(","))
    db.execute(f"UPDATE notices SET {sets} WHERE id = ?", (*_notice_values(notice), notice.id))


def _publish(
    db: Connection, notice: Notice, version: NoticeVersion, by: str, at: datetime
) -> NoticeChange:
    """Make ``version`` (stored as a draft) the notice's current one, and set the status of
    the components it touches: the worst an open public notice gives each."""
    shown = published_version(version, by, at)
    db.execute(
        "UPDATE notice_versions SET status = ?, published_by = ?, published_at = ?"
        " WHERE notice_id = ? AND number = ?",
        (shown.status.value, by, ts(at), version.notice_id, version.number),
    )
    updated = published_notice(notice, shown, at)
    _save_notice(db, updated)
    if updated.audience is Audience.PUBLIC:
        _set_components(db, {*notice.components, *updated.components}, updated.id, by, at)
    bump(db, at)
    return NoticeChange(updated, shown)


def _set_components(
    db: Connection, affected: set[str], notice_id: int, by: str, at: datetime
) -> None:
    rows = db.execute(
        "SELECT * FROM notices WHERE audience = ? AND published_at IS NOT NULL"
        f" AND state NOT IN ({','.join('?' * len(_CLOSED))})",
        (Audience.PUBLIC.value, *_CLOSED),
    ).fetchall()
    shown = [_notice(row) for row in rows]
    holding = [notice.components for notice in shown if shows_components(notice)]
    for component, status in sorted(component_statuses(affected, holding).items()):
        _upsert_component(db, ComponentState(component, status, at, by, notice_id))


def _upsert_component(db: Connection, state: ComponentState) -> None:
    db.execute(
        "INSERT INTO component_states (component_id, status, updated_at, updated_by, notice_id)"
        " VALUES (?,?,?,?,?) ON CONFLICT (component_id) DO UPDATE SET status = excluded.status,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
        " notice_id = excluded.notice_id",
        (state.component_id, state.status.value, ts(state.updated_at), state.updated_by,
         state.notice_id),
    )  # fmt: skip


def _components(db: Connection) -> dict[str, ComponentState]:
    rows = db.execute("SELECT * FROM component_states ORDER BY component_id").fetchall()
    return {
        row["component_id"]: ComponentState(
            row["component_id"],
            ComponentStatus(row["status"]),
            dt(row["updated_at"]),
            row["updated_by"],
            row["notice_id"],
        )
        for row in rows
    }


def _versions_of(db: Connection, notice_ids: Sequence[int]) -> dict[int, list[NoticeVersion]]:
    found: dict[int, list[NoticeVersion]] = {notice_id: [] for notice_id in notice_ids}
    if not notice_ids:
        return found
    rows = db.execute(
        f"SELECT * FROM notice_versions WHERE notice_id IN ({','.join('?' * len(notice_ids))})"
        " ORDER BY notice_id, number",
        tuple(notice_ids),
    ).fetchall()
    for row in rows:
        found[row["notice_id"]].append(_version(row))
    return found


def _active_banners(db: Connection, now: datetime) -> list[Banner]:
    rows = db.execute(
        "SELECT * FROM banners WHERE cleared_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
        " ORDER BY id DESC",
        (ts(now),),
    ).fetchall()
    return [_banner(row) for row in rows]


class NoticeStore:
    db: Database

    async def add_notice_version(
        self, notice: Notice, version: NoticeVersion, *, publish: bool
    ) -> NoticeChange:
        def work(db: Connection) -> NoticeChange:
            if version.key and (found := _by_key(db, version.key)) is not None:
                return found
            current = notice
            if notice.id == 0:
                current = replace(notice, id=_insert_notice(db, notice))
            elif (stored := _one_notice(db, notice.id)) is None:
                raise NoticeConflict(f"there is no notice {notice.id}")
            else:
                current = stored
            row = db.execute(
                "SELECT MAX(number) AS n FROM notice_versions WHERE notice_id = ?", (current.id,)
            ).fetchone()
            number = int(row["n"] or 0) + 1
            draft = replace(
                version, notice_id=current.id, number=number, status=VersionStatus.DRAFT
            )
            db.execute(
                f"INSERT INTO notice_versions ({_VERSION_COLUMNS})"
                f" VALUES ({_marks(_VERSION_COLUMNS)})",
                _version_values(draft),
            )
            if publish:
                return _publish(db, current, draft, draft.author, draft.at)
            return NoticeChange(current, draft)

        return await self.db.write(work, queue=QUEUE)

    async def publish_notice_version(
        self, notice_id: int, number: int, by: str, at: datetime
    ) -> NoticeChange:
        def work(db: Connection) -> NoticeChange:
            notice = _one_notice(db, notice_id)
            version = _one_version(db, notice_id, number)
            if notice is None or version is None:
                raise NoticeConflict(f"notice {notice_id} has no version {number}")
            if version.is_published:
                raise NoticeConflict(f"version {number} of notice {notice_id} is published already")
            newer = db.execute(
                "SELECT MAX(number) AS n FROM notice_versions WHERE notice_id = ? AND status = ?",
                (notice_id, VersionStatus.PUBLISHED.value),
            ).fetchone()
            if newer["n"] is not None and int(newer["n"]) > number:
                raise NoticeConflict(
                    f"version {newer['n']} of notice {notice_id} was published after draft "
                    f"{number} was made; draft again from the notice as it is now"
                )
            return _publish(db, notice, version, by, at)

        return await self.db.write(work, queue=QUEUE)

    async def mark_notice_announced(self, notice_id: int, number: int, at: datetime) -> None:
        await self.db.write(
            lambda db: db.execute(
                "UPDATE notice_versions SET announced_at = ? WHERE notice_id = ? AND number = ?"
                " AND announced_at IS NULL",
                (ts(at), notice_id, number),
            )
        )

    async def notice(self, notice_id: int) -> Notice | None:
        return await self.db.run(lambda db: _one_notice(db, notice_id))

    async def notice_version_by_key(self, key: str) -> NoticeChange | None:
        return await self.db.run(lambda db: _by_key(db, key))

    async def notices(
        self,
        *,
        kind: NoticeKind | None = None,
        audience: Audience | None = None,
        incident_id: int | None = None,
        open_only: bool = False,
        limit: int = 100,
    ) -> list[Notice]:
        clauses: list[str] = []
        values: list[Any] = []
        for column, value in (("kind", kind), ("audience", audience)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value.value)
        if incident_id is not None:
            clauses.append("incident_id = ?")
            values.append(incident_id)
        if open_only:
            clauses.append(f"state NOT IN ({','.join('?' * len(_CLOSED))})")
            values.extend(_CLOSED)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT * FROM notices {where} ORDER BY id DESC LIMIT ?"
        rows = await self.db.run(lambda db: db.execute(query, (*values, limit)).fetchall())
        return [_notice(row) for row in rows]

    async def notice_versions(self, notice_id: int) -> list[NoticeVersion]:
        found = await self.db.run(lambda db: _versions_of(db, [notice_id]))
        return found[notice_id]

    # -- components --

    async def component_states(self) -> dict[str, ComponentState]:
        return await self.db.run(_components)

    async def set_component_state(self, state: ComponentState) -> None:
        def work(db: Connection) -> None:
            _upsert_component(db, state)
            bump(db, state.updated_at)

        await self.db.write(work, queue=QUEUE)

    # -- banners --

    async def show_banner(self, banner: Banner) -> tuple[Banner, bool]:
        def work(db: Connection) -> tuple[Banner, bool]:
            if banner.key:
                row = db.execute("SELECT * FROM banners WHERE key = ?", (banner.key,)).fetchone()
                if row is not None:
                    return _banner(row), False
            values = _banner_values(banner)
            row = db.execute(
                f"INSERT INTO banners ({_BANNER_COLUMNS}) VALUES ({_marks(_BANNER_COLUMNS)})"
                " RETURNING *",
                values,
            ).fetchone()
            bump(db, banner.shown_at)
            return _banner(row), True

        return await self.db.write(work, queue=QUEUE)

    async def clear_banners(
        self, by: str, at: datetime, *, incident_id: int | None = None
    ) -> list[Banner]:
        """Clear the active banners (those ``incident_id`` showed, or all); returns them."""

        def work(db: Connection) -> list[Banner]:
            active = [
                banner
                for banner in _active_banners(db, at)
                if incident_id is None or banner.incident_id == incident_id
            ]
            for banner in active:
                db.execute(
                    "UPDATE banners SET cleared_by = ?, cleared_at = ? WHERE id = ?",
                    (by, ts(at), banner.id),
                )
            if active:
                bump(db, at)
            return [replace(item, cleared_by=by, cleared_at=at) for item in active]

        return await self.db.write(work, queue=QUEUE)

    async def banners(self, limit: int = 100) -> list[Banner]:
        rows = await self.db.run(
            lambda db: db.execute("SELECT * FROM banners ORDER BY id DESC LIMIT ?", (limit,))
            .fetchall()
        )  # fmt: skip
        return [_banner(row) for row in rows]

    # -- what the public pages show --

    async def status_revision(self) -> int:
        return await self.db.run(_revision)

    async def status_rows(self, now: datetime, since: datetime) -> StatusRows:
        def work(db: Connection) -> StatusRows:
            revision = _revision(db)  # first: a change while this reads makes a newer one
            rows = db.execute(
                "SELECT * FROM notices WHERE audience = ? AND published_at IS NOT NULL"
                f" AND (state NOT IN ({','.join('?' * len(_CLOSED))}) OR resolved_at >= ?)"
                " ORDER BY id DESC",
                (Audience.PUBLIC.value, *_CLOSED, ts(since)),
            ).fetchall()
            notices = tuple(_notice(row) for row in rows)
            versions = _versions_of(db, [notice.id for notice in notices])
            return StatusRows(
                revision,
                _components(db),
                notices,
                {
                    notice_id: tuple(item for item in found if item.is_published)
                    for notice_id, found in versions.items()
                },
                tuple(_active_banners(db, now)),
            )

        return await self.db.run(work)


def _banner_values(item: Banner) -> tuple[Any, ...]:
    return (
        item.script_id,
        item.content_hash,
        to_json(dict(item.vars)),
        to_json(dict(item.text)),
        item.severity.value,
        item.link,
        item.shown_by,
        ts(item.shown_at),
        opt_ts(item.expires_at),
        item.cleared_by,
        opt_ts(item.cleared_at),
        item.incident_id,
        item.key or None,
    )
