"""The subscriptions' side of ``surge_notice_published``: a built-in plugin that one runtime
registers with its own service (so two runtimes in one process never share it), queueing
each published version of a public notice for the subscribers it concerns.

The hook may come twice for one version after a crash (see its spec): the store keeps a
version once by ``(notice, version)``, so the second call queues nothing.
"""

from __future__ import annotations

from surge.notices.model import Audience, Notice, NoticeVersion
from surge.plugin import hookimpl
from surge.subscriptions.records import NoticeUpdate, UpdateText
from surge.subscriptions.service import Subscriptions


def update_from(notice: Notice, version: NoticeVersion, url: str) -> NoticeUpdate:
    """What subscribers are told of a published version: its texts and state, and every
    component the notice concerns with its status now (the version lists only those it
    changed; a subscriber to one of the others hears of the update too)."""
    texts = {
        locale: UpdateText(title, version.body.get(locale, ""))
        for locale, title in version.title.items()
    }
    return NoticeUpdate(
        notice_id=notice.id,
        version=version.number,
        state=version.state.value,
        components={key: status.value for key, status in notice.components.items()},
        texts=texts,
        published_at=version.published_at or notice.updated_at,
        url=url,
    )


class SubscriptionHook:
    def __init__(self) -> None:
        self.subscriptions: Subscriptions | None = None  # set once the runtime has built it

    @hookimpl
    async def surge_notice_published(self, notice: Notice, version: NoticeVersion) -> None:
        service = self.subscriptions
        if service is None or notice.audience is not Audience.PUBLIC:
            return
        url = f"{service.config.public_url.rstrip('/')}/status"
        await service.published(update_from(notice, version, url))
