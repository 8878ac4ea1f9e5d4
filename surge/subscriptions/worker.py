"""The background worker that sends queued deliveries, with retries and backoff.

Each round it claims what is due (at most ``concurrency`` at once in this process), sends
each as a task of its own, and records how the attempt ended: ``sent``; ``queued`` again
after ``retry.backoff`` doubled per failed attempt when the failure may pass (the server
was down, answered 4xx, or timed out); ``failed`` when it was refused for good or ran
out of attempts. Leases are renewed while a send runs, so another replica takes over a
delivery only when this process is gone. Errors are stored with known secrets masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from surge.metrics import Metrics
from surge.redact import Redactor
from surge.store.base import Store
from surge.subscriptions.config import SubscriptionSettings
from surge.subscriptions.records import Claimed, DeliveryState, Purpose, SubscriberState
from surge.subscriptions.send import Sender, SendError

log = logging.getLogger(__name__)
MAX_ERROR = 500  # characters of an error kept


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        settings: SubscriptionSettings,
        holder: str,
        clock: Callable[[], datetime],
        redactor: Redactor,
        metrics: Metrics,
    ) -> None:
        self.store = store
        self.sender = sender
        self.settings = settings
        self.holder = holder
        self.clock = clock
        self.redactor = redactor
        self.metrics = metrics
        self.running = False
        self._wake = asyncio.Event()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.running = True
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="surge-subscriptions"),
            asyncio.create_task(self._lease_loop(), name="surge-subscription-leases"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; sends under way get ``grace`` seconds to end, then are cut off
        (a mail cut off is ``unknown`` once its lease runs out, never sent twice)."""
        self.running = False
        self._wake.set()
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks.values()), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.sender.close()

    def wake(self) -> None:
        """Look for due deliveries now (something was queued)."""
        self._wake.set()

    async def _claim_loop(self) -> None:
        while self.running:
            self._wake.clear()
            free = self.settings.concurrency - len(self._tasks)
            claimed: list[Claimed] = []
            if free > 0:
                now = self.clock()
                until = now + timedelta(seconds=self.settings.lease)
                try:
                    claimed = await self.store.claim_deliveries(self.holder, now, until, free)
                except Exception:
                    log.exception("could not claim subscription deliveries")
            for item in claimed:
                name = f"surge-delivery-{item.delivery.id}"
                task = asyncio.create_task(self._deliver(item), name=name)
                self._tasks[item.delivery.id] = task
                task.add_done_callback(self._done)
            if claimed and len(claimed) == free:
                continue  # there may be more due now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_interval)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(int(task.get_name().rsplit("-", 1)[1]), None)
        self._wake.set()

    async def _lease_loop(self) -> None:
        every = max(self.settings.lease / 3, 0.05)
        while self.running:
            await asyncio.sleep(every)
            until = self.clock() + timedelta(seconds=self.settings.lease)
            try:
                await self.store.renew_delivery_leases(self.holder, list(self._tasks), until)
            except Exception:
                log.exception("could not renew the leases of subscription deliveries")

    async def _deliver(self, claimed: Claimed) -> None:
        delivery = claimed.delivery
        try:
            if not _wanted(claimed):
                await self._finish(claimed, DeliveryState.CANCELLED, "the subscriber left")
                return
            ref = await self.sender.send(claimed, self.clock())
        except SendError as error:
            await self._failed(claimed, str(error), error.retryable)
        except Exception as error:  # a bug: keep the delivery, say what happened
            log.exception("delivery %s failed", delivery.key)
            await self._failed(claimed, f"{type(error).__name__}: {error}", True)
        else:
            await self._finish(claimed, DeliveryState.SENT, ref=ref)

    async def _failed(self, claimed: Claimed, error: str, retryable: bool) -> None:
        attempt = claimed.delivery.attempts
        if retryable and attempt < self.settings.retry.attempts:
            retry_at = self.clock() + timedelta(seconds=self.settings.retry.delay(attempt))
            await self._finish(claimed, DeliveryState.QUEUED, error, retry_at=retry_at)
            return
        if retryable:
            error = f"{error} (gave up after {attempt} attempts)"
        await self._finish(claimed, DeliveryState.FAILED, error)

    async def _finish(
        self,
        claimed: Claimed,
        state: DeliveryState,
        error: str = "",
        *,
        ref: str = "",
        retry_at: datetime | None = None,
    ) -> None:
        outcome = "retry" if state is DeliveryState.QUEUED else state.value
        channel = claimed.delivery.channel.value
        self.metrics.subscription_deliveries.labels(channel=channel, outcome=outcome).inc()
        shown = self.redactor.text(error)[:MAX_ERROR]
        try:
            await self.store.finish_delivery(
                claimed.delivery.id,
                self.holder,
                state,
                self.clock(),
                error=shown,
                ref=ref,
                retry_at=retry_at,
            )
        except Exception:  # the lease runs out and the delivery is looked at again
            log.exception("could not record delivery %s as %s", claimed.delivery.key, state)


def _wanted(claimed: Claimed) -> bool:
    """Whether the subscriber still wants it: a notice only while active; a confirmation
    while one is requested."""
    subscriber = claimed.subscriber
    if claimed.delivery.purpose is Purpose.CONFIRM:
        return subscriber.requested is not None
    return subscriber.state is SubscriberState.ACTIVE
