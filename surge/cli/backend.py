"""Where the CLI's commands go: a running server over HTTP, or the store directly.

``--server URL`` (or ``$SURGE_SERVER``) with ``--token`` (or ``$SURGE_TOKEN``) talks to a
server; otherwise the CLI opens the store named in the config itself. Both return the
same JSON shapes (``surge.serialize``), so the rest of the CLI does not care which.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from surge import serialize
from surge.audit import changes
from surge.audit.actor import Actor
from surge.audit.changes import Change
from surge.audit.query import QueryError, parse_query
from surge.cli.notice_client import HttpNotices, LocalNotices, NoticeClient
from surge.customers.service import CustomerError, Customers, NoIncident
from surge.engine.engine import TransitionError, UnknownIncident, UnknownPlaybook
from surge.notices.operations import NoticeOps
from surge.playbook.params import ParamError
from surge.report.render import render as render_report
from surge.runtime import Runtime
from surge.store.base import GroupBusy
from surge.store.records import STATUS_VERBS, IncidentStatus
from surge.subscriptions.records import SubscriberKind, SubscriberState
from surge.subscriptions.service import delivery_list, removed, subscriber_page
from surge.triggers.silences import SilenceError, expire_by_hand, silence_from_json

Json = dict[str, Any]


class CliError(Exception):
    """Something the user should read; ``code`` is the exit code (1 failure, 2 usage)."""

    def __init__(self, message: str, code: int = 1, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or []


class Backend(ABC):
    where: str

    @abstractmethod
    async def playbooks(self) -> Json: ...

    @abstractmethod
    async def trigger(self, playbook: str, params: dict[str, Any]) -> Json: ...

    @abstractmethod
    async def incidents(
        self, statuses: list[str], playbook: str | None, limit: int
    ) -> list[Json]: ...

    @abstractmethod
    async def incident(self, incident_id: int) -> Json:
        """The incident with its ``steps`` and ``timeline``."""

    @abstractmethod
    async def change_status(self, incident_id: int, action: str, note: str) -> Json: ...

    @abstractmethod
    async def silences(self, include_expired: bool) -> list[Json]: ...

    @abstractmethod
    async def add_silence(self, body: Json) -> Json:
        """``body`` is the JSON that ``POST /api/v1/silences`` takes."""

    @abstractmethod
    async def expire_silence(self, silence_id: int) -> Json: ...

    @abstractmethod
    async def audit(self, filters: dict[str, str]) -> Json:
        """``GET /api/v1/audit``'s answer for these query parameters."""

    @abstractmethod
    async def customers(self, incident_id: int) -> list[Json]:
        """The incident's affected customers, as ``GET …/customers`` lists them."""

    @abstractmethod
    async def add_customer(self, incident_id: int, body: Json) -> Json: ...

    @abstractmethod
    async def report(self, incident_id: int, fmt: str, locale: str | None) -> str:
        """The post-incident report, as ``GET …/report?format=FMT`` answers it."""

    @abstractmethod
    async def subscribers(self, filters: dict[str, str]) -> Json:
        """``GET /api/v1/subscribers``'s answer for these query parameters."""

    @abstractmethod
    async def remove_subscriber(self, subscriber_id: int) -> Json: ...

    @abstractmethod
    async def deliveries(self, notice_id: int) -> list[Json]:
        """Every delivery of the notice to subscribers, with each attempt."""

    @abstractmethod
    def notices(self) -> NoticeClient:
        """``surge notice`` and ``surge components``: the notices API, or the same on the store."""

    async def engine_seen(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class LocalBackend(Backend):
    """Works on the store directly; every change goes to the audit log as ``actor``'s."""

    def __init__(self, runtime: Runtime, actor: Actor) -> None:
        self.runtime = runtime
        self.actor = actor
        self.where = f"store {runtime.config.store}"

    async def _audit(self, change: Change) -> None:
        await self.runtime.audit.record(self.actor, change)

    async def playbooks(self) -> Json:
        return {
            "playbooks": [serialize.playbook(item) for item in self.runtime.playbooks.all()],
            "problems": [str(problem) for problem in self.runtime.problems],
        }

    async def trigger(self, playbook: str, params: dict[str, Any]) -> Json:
        try:
            incident = await self.runtime.engine.trigger(
                playbook, params, actor=self.actor.name, source="cli"
            )
        except UnknownPlaybook:
            known = ", ".join(item.id for item in self.runtime.playbooks.all()) or "none loaded"
            raise CliError(f"no playbook {playbook!r} (known: {known})", 2) from None
        except ParamError as error:
            raise CliError(f"invalid params for {playbook}", 2, error.problems) from None
        except GroupBusy as busy:
            raise CliError(f"{busy}: see `surge show {busy.incident.id}`") from None
        await self._audit(changes.incident_triggered(incident))
        return serialize.incident(incident)

    async def incidents(self, statuses: list[str], playbook: str | None, limit: int) -> list[Json]:
        records = await self.runtime.store.list_incidents(
            statuses=[IncidentStatus(status) for status in statuses],
            playbook_id=playbook,
            limit=limit,
        )
        return [serialize.incident(record) for record in records]

    async def incident(self, incident_id: int) -> Json:
        store = self.runtime.store
        record = await store.get_incident(incident_id)
        if record is None:
            raise CliError(f"no incident {incident_id}")
        body = serialize.incident(record)
        body["steps"] = [serialize.run(run) for run in await store.runs(incident_id)]
        body["timeline"] = [serialize.entry(entry) for entry in await store.timeline(incident_id)]
        return body

    async def change_status(self, incident_id: int, action: str, note: str) -> Json:
        try:
            record = await self.runtime.engine.change_status(
                incident_id, STATUS_VERBS[action], self.actor.name, note
            )
        except UnknownIncident:
            raise CliError(f"no incident {incident_id}") from None
        except TransitionError as error:
            raise CliError(str(error)) from None
        await self._audit(changes.incident_status(incident_id, action, note))
        return serialize.incident(record)

    async def silences(self, include_expired: bool) -> list[Json]:
        now = self.runtime.engine.clock()
        found = await self.runtime.store.list_silences(
            unexpired_at=None if include_expired else now
        )
        return [serialize.silence(item, now) for item in found]

    async def add_silence(self, body: Json) -> Json:
        now = self.runtime.engine.clock()
        try:
            silence = silence_from_json(body, created_by=self.actor.name, now=now)
        except SilenceError as error:
            raise CliError("invalid silence", 2, error.problems) from None
        shown = serialize.silence(await self.runtime.store.add_silence(silence), now)
        await self._audit(changes.silence_added(shown))
        return shown

    async def expire_silence(self, silence_id: int) -> Json:
        now = self.runtime.engine.clock()
        silence = await expire_by_hand(self.runtime.store, silence_id, now)
        if silence is None:
            raise CliError(f"no silence {silence_id}")
        await self._audit(changes.silence_expired(silence_id))
        return serialize.silence(silence, now)

    async def audit(self, filters: dict[str, str]) -> Json:
        try:
            query = parse_query(filters)
        except QueryError as error:
            raise CliError("invalid filters", 2, error.problems) from None
        found = await self.runtime.audit.entries(query)
        more = len(found) == query.limit and found
        return {
            "entries": [serialize.audit_entry(item) for item in found],
            "next_before": found[-1].id if more else None,
        }

    def _customers(self) -> Customers:
        customers = self.runtime.engine.services.customers
        assert customers is not None  # the runtime always sets it
        return customers

    async def customers(self, incident_id: int) -> list[Json]:
        try:
            found = await self._customers().list(incident_id)
        except NoIncident:
            raise CliError(f"no incident {incident_id}") from None
        return [serialize.customer(item, contact=True) for item in found]

    async def add_customer(self, incident_id: int, body: Json) -> Json:
        try:
            added, created = await self._customers().add(incident_id, body, self.actor.name)
        except NoIncident:
            raise CliError(f"no incident {incident_id}") from None
        except CustomerError as error:
            raise CliError("invalid customer", 2, error.problems) from None
        if created:
            await self._audit(changes.customer_added(added))
        return serialize.customer(added, contact=True)

    async def report(self, incident_id: int, fmt: str, locale: str | None) -> str:
        reports = self.runtime.engine.services.reports
        assert reports is not None  # the runtime always sets it
        found = await reports.build(incident_id, locale=locale)
        if found is None:
            raise CliError(f"no incident {incident_id}")
        return render_report(found, "html" if fmt == "html" else "md")

    async def subscribers(self, filters: dict[str, str]) -> Json:
        state, kind = filters.get("state"), filters.get("kind")
        return await subscriber_page(
            self.runtime.store,
            state=SubscriberState(state) if state else None,
            kind=SubscriberKind(kind) if kind else None,
            limit=int(filters.get("limit", "100")),
        )

    async def remove_subscriber(self, subscriber_id: int) -> Json:
        store = self.runtime.store
        found = await store.subscriber(subscriber_id)
        if found is None or not await store.remove_subscriber(subscriber_id):
            raise CliError(f"no subscriber {subscriber_id}")
        await self._audit(removed(found))
        return {"id": subscriber_id, "removed": True}

    async def deliveries(self, notice_id: int) -> list[Json]:
        found = await delivery_list(self.runtime.store, notice_id)
        if not found and await self.runtime.store.notice(notice_id) is None:
            raise CliError(f"no notice {notice_id}")
        return found

    def notices(self) -> NoticeClient:
        notices = self.runtime.engine.services.notices
        assert notices is not None  # the runtime always sets it
        return LocalNotices(NoticeOps(notices), self.actor.name, self._audit, CliError)

    async def engine_seen(self) -> bool:
        lease = self.runtime.config.engine.lease
        since = self.runtime.engine.clock() - timedelta(seconds=max(3 * lease, 10))
        return bool(await self.runtime.store.engines(since))

    async def close(self) -> None:
        await self.runtime.close()


class HttpBackend(Backend):
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.where = f"server {self.url}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.session = aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=30)
        )

    async def _call(
        self,
        method: str,
        path: str,
        body: Json | None = None,
        params: list[tuple[str, str]] | None = None,
        *,
        text: bool = False,
    ) -> Any:
        """The answer's JSON (or with ``text``, a successful answer's text); an error
        answer becomes a CliError."""
        try:
            async with self.session.request(
                method, self.url + path, json=body, params=params
            ) as response:
                if text and response.status < 400:
                    return await response.text()
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = {"error": (await response.text())[:200]}
        except aiohttp.ClientError as error:
            raise CliError(
                f"cannot reach the surge server at {self.url}: {error}; is `surge "
                "serve` running, and is --server right?"
            ) from None
        if response.status >= 400:
            body = data if isinstance(data, dict) else {"error": str(data)}
            message = str(body.get("error", f"HTTP {response.status}"))
            problems = [str(problem) for problem in body.get("problems", [])]
            # the same usage errors as on the store directly: bad params, unknown playbook
            code = (
                2
                if response.status in (400, 404) and ("problems" in body or "known" in body)
                else 1
            )
            if "known" in body:
                message += f" (known: {', '.join(body['known']) or 'none loaded'})"
            if response.status == 401:
                message += " (pass --token or set SURGE_TOKEN; see `surge token create`)"
            raise CliError(message, code, problems)
        return data

    async def playbooks(self) -> Json:
        data: Json = await self._call("GET", "/api/v1/playbooks")
        return data

    async def trigger(self, playbook: str, params: dict[str, Any]) -> Json:
        data: Json = await self._call(
            "POST", f"/api/v1/playbooks/{quote(playbook, safe='')}/trigger", {"params": params}
        )
        return data

    async def incidents(self, statuses: list[str], playbook: str | None, limit: int) -> list[Json]:
        query = [("status", status) for status in statuses] + [("limit", str(limit))]
        if playbook:
            query.append(("playbook", playbook))
        data = await self._call("GET", "/api/v1/incidents", params=query)
        return list(data["incidents"])

    async def incident(self, incident_id: int) -> Json:
        data: Json = await self._call("GET", f"/api/v1/incidents/{incident_id}")
        return data

    async def change_status(self, incident_id: int, action: str, note: str) -> Json:
        data: Json = await self._call(
            "POST", f"/api/v1/incidents/{incident_id}/{action}", {"note": note}
        )
        return data

    async def silences(self, include_expired: bool) -> list[Json]:
        query = [("all", "true")] if include_expired else []
        data = await self._call("GET", "/api/v1/silences", params=query)
        return list(data["silences"])

    async def add_silence(self, body: Json) -> Json:
        data: Json = await self._call("POST", "/api/v1/silences", body)
        return data

    async def expire_silence(self, silence_id: int) -> Json:
        data: Json = await self._call("POST", f"/api/v1/silences/{silence_id}/expire")
        return data

    async def audit(self, filters: dict[str, str]) -> Json:
        data: Json = await self._call("GET", "/api/v1/audit", params=list(filters.items()))
        return data

    async def customers(self, incident_id: int) -> list[Json]:
        data = await self._call("GET", f"/api/v1/incidents/{incident_id}/customers")
        return list(data["customers"])

    async def add_customer(self, incident_id: int, body: Json) -> Json:
        data: Json = await self._call("POST", f"/api/v1/incidents/{incident_id}/customers", body)
        return data

    async def report(self, incident_id: int, fmt: str, locale: str | None) -> str:
        query = [("format", fmt), *([("locale", locale)] if locale else [])]
        path = f"/api/v1/incidents/{incident_id}/report"
        return str(await self._call("GET", path, params=query, text=True))

    async def subscribers(self, filters: dict[str, str]) -> Json:
        data: Json = await self._call("GET", "/api/v1/subscribers", params=list(filters.items()))
        return data

    async def remove_subscriber(self, subscriber_id: int) -> Json:
        data: Json = await self._call("DELETE", f"/api/v1/subscribers/{subscriber_id}")
        if not data.get("removed"):
            raise CliError(f"no subscriber {subscriber_id}")
        return data

    async def deliveries(self, notice_id: int) -> list[Json]:
        data = await self._call("GET", f"/api/v1/notices/{notice_id}/deliveries")
        return list(data["deliveries"])

    def notices(self) -> NoticeClient:
        return HttpNotices(self._call)

    async def close(self) -> None:
        await self.session.close()
