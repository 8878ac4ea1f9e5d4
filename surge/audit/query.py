"""Reading the audit log: filters from query parameters (the API's and the CLI's)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from surge.store.records import AuditOutcome, AuditQuery

MAX_LIMIT = 1000
FILTERS = ("actor", "action", "target", "outcome", "address", "since", "until", "before", "limit")


class QueryError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_query(params: Mapping[str, str]) -> AuditQuery:
    """``?actor=&action=incident.*&since=2026-11-25T08:00:00Z&limit=50&before=ID``;
    QueryError lists every reason the filters cannot be used, at once."""
    problems = [
        f"unknown filter {key!r}; filters: {', '.join(FILTERS)}"
        for key in params
        if key not in FILTERS
    ]
    outcome = params.get("outcome")
    if outcome is not None and outcome not in tuple(AuditOutcome):
        problems.append(f"outcome must be one of {', '.join(AuditOutcome)}")
    since = _time(params.get("since"), "since", problems)
    until = _time(params.get("until"), "until", problems)
    limit = _whole(params.get("limit", "100"), "limit", problems)
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        problems.append(f"limit must be from 1 to {MAX_LIMIT}")
    before = _whole(params["before"], "before", problems) if "before" in params else None
    if problems:
        raise QueryError(problems)
    return AuditQuery(
        actor=params.get("actor"),
        action=params.get("action"),
        target=params.get("target"),
        outcome=AuditOutcome(outcome) if outcome else None,
        address=params.get("address"),
        since=since,
        until=until,
        before=before,
        limit=limit or 100,
    )


def _time(raw: str | None, name: str, problems: list[str]) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        problems.append(f"{name} must be an ISO 8601 time such as 2026-11-25T08:00:00Z")
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _whole(raw: str, name: str, problems: list[str]) -> int | None:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        problems.append(f"{name} must be a whole number")
        return None
    return int(raw)
