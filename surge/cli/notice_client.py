"""What ``surge notice`` and ``surge components`` call: the notices API over HTTP, or the
same operations (``surge.notices.operations``) on the store, audited as the CLI's user.
Both answer with the API's JSON shapes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from surge.audit.changes import Change
from surge.notices.model import NoticeConflict
from surge.notices.operations import Changed, NotFound, NoticeOps
from surge.notices.service import NoticeError
from surge.scripts.approval import NotApproved
from surge.scripts.rules import ScriptError

Json = dict[str, Any]
T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]  # HttpBackend._call(method, path, body, params)


class NoticeClient(ABC):
    @abstractmethod
    async def list(self, filters: dict[str, str]) -> Json: ...

    @abstractmethod
    async def show(self, notice_id: int) -> Json: ...

    @abstractmethod
    async def preview(self, body: Json) -> Json: ...

    @abstractmethod
    async def create(self, body: Json) -> Json: ...

    @abstractmethod
    async def add_version(self, notice_id: int, body: Json) -> Json: ...

    @abstractmethod
    async def resolve(self, notice_id: int, body: Json) -> Json: ...

    @abstractmethod
    async def publish(self, notice_id: int, number: int) -> Json: ...

    @abstractmethod
    async def components(self) -> Json: ...

    @abstractmethod
    async def set_component(self, component_id: str, body: Json) -> Json: ...

    @abstractmethod
    async def banners(self) -> Json: ...

    @abstractmethod
    async def show_banner(self, body: Json) -> Json: ...

    @abstractmethod
    async def clear_banner(self) -> Json: ...


class HttpNotices(NoticeClient):
    def __init__(self, call: Call) -> None:
        self.call = call

    async def list(self, filters: dict[str, str]) -> Json:
        found: Json = await self.call("GET", "/api/v1/notices", None, list(filters.items()))
        return found

    async def show(self, notice_id: int) -> Json:
        found: Json = await self.call("GET", f"/api/v1/notices/{notice_id}")
        return found

    async def preview(self, body: Json) -> Json:
        found: Json = await self.call("POST", "/api/v1/notices/preview", body)
        return found

    async def create(self, body: Json) -> Json:
        found: Json = await self.call("POST", "/api/v1/notices", body)
        return found

    async def add_version(self, notice_id: int, body: Json) -> Json:
        found: Json = await self.call("POST", f"/api/v1/notices/{notice_id}/versions", body)
        return found

    async def resolve(self, notice_id: int, body: Json) -> Json:
        found: Json = await self.call("POST", f"/api/v1/notices/{notice_id}/resolve", body)
        return found

    async def publish(self, notice_id: int, number: int) -> Json:
        path = f"/api/v1/notices/{notice_id}/versions/{number}/publish"
        found: Json = await self.call("POST", path)
        return found

    async def components(self) -> Json:
        found: Json = await self.call("GET", "/api/v1/components")
        return found

    async def set_component(self, component_id: str, body: Json) -> Json:
        path = f"/api/v1/components/{quote(component_id, safe='')}"
        found: Json = await self.call("PUT", path, body)
        return found

    async def banners(self) -> Json:
        found: Json = await self.call("GET", "/api/v1/banners")
        return found

    async def show_banner(self, body: Json) -> Json:
        found: Json = await self.call("POST", "/api/v1/banners", body)
        return found

    async def clear_banner(self) -> Json:
        found: Json = await self.call("DELETE", "/api/v1/banners")
        return found


class LocalNotices(NoticeClient):
    """On the store: each change goes to the audit log through ``record``."""

    def __init__(
        self,
        ops: NoticeOps,
        author: str,
        record: Callable[[Change], Awaitable[None]],
        error: Callable[..., Exception],
    ) -> None:
        self.ops = ops
        self.author = author
        self.record = record
        self.error = error  # CliError(message, code, details)

    async def _run(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except (NoticeError, ScriptError) as error:
            raise self.error("invalid notice", 2, error.problems) from None
        except NotFound as error:
            raise self.error(str(error), 1) from None
        except (NoticeConflict, NotApproved) as error:
            raise self.error(str(error), 1) from None

    async def _changed(self, call: Awaitable[Changed]) -> Json:
        shown, change = await self._run(call)
        await self.record(change)
        return shown

    async def list(self, filters: dict[str, str]) -> Json:
        return await self._run(self.ops.list(filters))

    async def show(self, notice_id: int) -> Json:
        return await self._run(self.ops.show(notice_id))

    async def preview(self, body: Json) -> Json:
        return await self._run(self.ops.preview(body))

    async def create(self, body: Json) -> Json:
        return await self._changed(self.ops.create(body, self.author))

    async def add_version(self, notice_id: int, body: Json) -> Json:
        return await self._changed(self.ops.add_version(notice_id, body, self.author))

    async def resolve(self, notice_id: int, body: Json) -> Json:
        return await self._changed(self.ops.resolve(notice_id, body, self.author))

    async def publish(self, notice_id: int, number: int) -> Json:
        return await self._changed(self.ops.publish(notice_id, number, self.author))

    async def components(self) -> Json:
        return await self.ops.components()

    async def set_component(self, component_id: str, body: Json) -> Json:
        return await self._changed(self.ops.set_component(component_id, body, self.author))

    async def banners(self) -> Json:
        return await self.ops.banners()

    async def show_banner(self, body: Json) -> Json:
        return await self._changed(self.ops.show_banner(body, self.author))

    async def clear_banner(self) -> Json:
        return await self._changed(self.ops.clear_banner(self.author))
