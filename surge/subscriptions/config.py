"""The config's ``subscriptions:`` section: opt-in links, retries, and the bounds on the
public subscribe route. Every key has a default, so the section is optional; e-mail
subscriptions also need the config's ``smtp:`` server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from surge.yamlcheck import Checker
from surge.yamlpos import YNode


@dataclass(frozen=True)
class RetrySettings:
    attempts: int = 8  # attempts in all before a delivery is given up as failed
    backoff: float = 30.0  # seconds before the second attempt; doubled after each failure
    max_backoff: float = 3600.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1 for the first)."""
        return float(min(self.backoff * 2 ** max(attempt - 1, 0), self.max_backoff))


@dataclass(frozen=True)
class RateLimit:
    requests: int = 10  # subscribe requests one client address may make …
    per: float = 3600.0  # … in this many seconds


@dataclass(frozen=True)
class SubscriptionSettings:
    enabled: bool = True
    confirm_ttl: float = 2 * 86400.0  # how long a confirmation link works
    resend_after: float = 300.0  # no second confirmation mail to an address sooner
    retry: RetrySettings = field(default_factory=RetrySettings)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    max_pending: int = 10_000  # unconfirmed e-mail addresses kept at once
    max_subscribers: int = 1_000_000
    allow_private_webhooks: bool = False  # webhooks to loopback and private networks
    webhook_timeout: float = 10.0
    poll_interval: float = 1.0  # how often the worker looks for due deliveries
    concurrency: int = 10  # deliveries sent at once by one process
    lease: float = 60.0  # a claimed delivery's lease, renewed while it is being sent


_DURATIONS = ("confirm_ttl", "resend_after", "poll_interval", "lease")


def parse_subscriptions(node: YNode, check: Checker) -> SubscriptionSettings:
    allowed = (
        "enabled",
        *_DURATIONS,
        "retry",
        "rate_limit",
        "max_pending",
        "max_subscribers",
        "webhooks",
        "concurrency",
    )
    fields = check.keys(node, "subscriptions", allowed)
    if not fields:
        return SubscriptionSettings()
    values: dict[str, Any] = {}
    if "enabled" in fields and (enabled := check.boolean(fields["enabled"], "enabled")) is not None:
        values["enabled"] = enabled
    for key in _DURATIONS:
        if key in fields and (seconds := _positive(fields[key], check, f"subscriptions.{key}")):
            values[key] = seconds
    for key in ("max_pending", "max_subscribers", "concurrency"):
        if key in fields and (count := check.integer(fields[key], key, minimum=1)) is not None:
            values[key] = count
    if "retry" in fields:
        values["retry"] = _retry(fields["retry"], check)
    if "rate_limit" in fields:
        values["rate_limit"] = _rate_limit(fields["rate_limit"], check)
    if "webhooks" in fields:
        values.update(_webhooks(fields["webhooks"], check))
    return SubscriptionSettings(**values)


def _positive(node: YNode, check: Checker, what: str) -> float | None:
    seconds = check.duration(node, what)
    if seconds is not None and seconds <= 0:
        check.error(node.pos, f"{what} must be more than 0")
        return None
    return seconds


def _retry(node: YNode, check: Checker) -> RetrySettings:
    what = "subscriptions.retry"
    fields = check.keys(node, what, ("attempts", "backoff", "max_backoff"))
    if not fields:
        return RetrySettings()
    values: dict[str, Any] = {}
    if "attempts" in fields:
        attempts = check.integer(fields["attempts"], f"{what}.attempts", minimum=1)
        if attempts is not None:
            values["attempts"] = attempts
    for key in ("backoff", "max_backoff"):
        if key in fields and (seconds := _positive(fields[key], check, f"{what}.{key}")):
            values[key] = seconds
    return RetrySettings(**values)


def _rate_limit(node: YNode, check: Checker) -> RateLimit:
    what = "subscriptions.rate_limit"
    fields = check.keys(node, what, ("requests", "per"), ("requests", "per"))
    if not fields or len(fields) < 2:
        return RateLimit()
    requests = check.integer(fields["requests"], f"{what}.requests", minimum=1)
    per = _positive(fields["per"], check, f"{what}.per")
    return RateLimit(requests or RateLimit.requests, per or RateLimit.per)


def _webhooks(node: YNode, check: Checker) -> dict[str, Any]:
    what = "subscriptions.webhooks"
    fields = check.keys(node, what, ("allow_private", "timeout"))
    values: dict[str, Any] = {}
    if not fields:
        return values
    if "allow_private" in fields:
        allowed = check.boolean(fields["allow_private"], f"{what}.allow_private")
        if allowed is not None:
            values["allow_private_webhooks"] = allowed
    if "timeout" in fields and (seconds := _positive(fields["timeout"], check, f"{what}.timeout")):
        values["webhook_timeout"] = seconds
    return values
