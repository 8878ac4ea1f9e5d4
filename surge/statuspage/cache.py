"""``PublicPages``: the public files in memory, rebuilt when what they show changes.

Requests are answered from the snapshot held here, never from the store. A watcher reads
the store's status revision (one small query) every ``poll`` seconds and rebuilds when it
moved: a publish on this replica or on any other sharing the store. A publish here also
asks for a rebuild at once (``changed``), and a snapshot is rebuilt when its
``valid_until`` passes (a banner expires, a maintenance window opens, a new day). After
each rebuild the static export is rewritten, when the config names a folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from surge.notices.service import Notices
from surge.statuspage.export import Exported, ExportError, export
from surge.statuspage.files import Snapshot
from surge.statuspage.site import Site
from surge.statuspage.snapshot import build

log = logging.getLogger(__name__)
POLL = 1.0  # seconds between looks at the store's status revision


class PublicPages:
    def __init__(
        self,
        notices: Notices,
        site: Site,
        clock: Callable[[], datetime],
        *,
        export_to: Path | None = None,
        poll: float = POLL,
    ) -> None:
        self.notices = notices
        self.site = site
        self.clock = clock
        self.export_to = export_to
        self.poll = poll
        self.snapshot: Snapshot | None = None
        self.last_export: Exported | None = None
        self.export_problem: str | None = None
        self.rebuilds = 0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def current(self) -> Snapshot:
        """The snapshot to answer from (built now if there is none yet)."""
        snapshot = self.snapshot
        if snapshot is None:
            snapshot = await self.rebuild()
        return snapshot

    async def rebuild(self) -> Snapshot:
        """Read one view, render every file (off the event loop), then export."""
        async with self._lock:
            view = await self.notices.view(self.clock(), self.site.settings.history_days)
            snapshot = await asyncio.to_thread(build, view, self.site)
            self.snapshot = snapshot
            self.rebuilds += 1
            if self.export_to is not None:
                await self._export(snapshot, self.export_to)
            return snapshot

    async def _export(self, snapshot: Snapshot, folder: Path) -> None:
        try:
            self.last_export = await asyncio.to_thread(export, snapshot, folder)
            self.export_problem = None
        except ExportError as error:  # the page is still served; say so, retry next time
            self.export_problem = str(error)
            log.error("status page export failed: %s", error)

    def changed(self) -> None:
        """Something was published here: rebuild without waiting for the next poll."""
        self._wake.set()

    async def start(self) -> None:
        await self.current()
        self._task = asyncio.create_task(self._watch(), name="surge-public-pages")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()
            try:
                if await self._stale():
                    await self.rebuild()
            except Exception:  # the store is away: keep serving what we have
                log.exception("could not rebuild the public status pages; serving the last ones")

    async def _stale(self) -> bool:
        snapshot = self.snapshot
        if snapshot is None:
            return True
        if snapshot.valid_until is not None and self.clock() >= snapshot.valid_until:
            return True
        revision: int = await self.notices.revision()
        return revision != snapshot.revision
