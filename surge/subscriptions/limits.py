"""How often one client address may ask to subscribe: a sliding window per address, kept in
this process's memory for at most ``MAX_CLIENTS`` addresses (the oldest are forgotten
first). With several replicas each counts on its own; the store's caps on unconfirmed
and on all subscribers bound the total whatever the clients do."""

from __future__ import annotations

from collections import OrderedDict, deque

MAX_CLIENTS = 10_000


class RateLimiter:
    def __init__(self, requests: int, per: float) -> None:
        self.requests = requests
        self.per = per
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, client: str, now: float) -> float:
        """0 when ``client`` may make a request now (and counts it), else the seconds to wait."""
        times = self._seen.pop(client, None) or deque()
        while times and times[0] <= now - self.per:
            times.popleft()
        self._seen[client] = times
        if len(self._seen) > MAX_CLIENTS:
            self._seen.popitem(last=False)
        if len(times) >= self.requests:
            return max(times[0] + self.per - now, 0.001)
        times.append(now)
        return 0.0
