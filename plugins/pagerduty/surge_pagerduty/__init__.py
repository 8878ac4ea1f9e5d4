"""PagerDuty for surge: a pager type speaking the Events API v2.

``send`` posts a ``trigger`` event to ``/v2/enqueue`` with the service's routing key and
the surge incident's id as ``dedup_key``; ``update`` posts ``acknowledge`` or ``resolve``
with the same key when the surge incident is acknowledged or resolved. PagerDuty
de-duplicates on the key, so a trigger re-sent after a crash opens nothing new.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from surge.config import Config
from surge.paging.spec import Page, PagerError, PagerSpec, Update
from surge.plugin import hookimpl
from surge.store.records import Incident
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

__version__ = "0.1.0"
EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SEVERITY = {"critical": "critical", "major": "error", "warning": "warning", "info": "info"}
SUMMARY_LIMIT = 1024  # characters PagerDuty keeps of a summary


@dataclass(frozen=True)
class Options:
    routing_key_env: str
    url: str = EVENTS_URL
    timeout: float = 10.0

    def routing_key(self) -> str:
        key = os.environ.get(self.routing_key_env, "")
        if not key:
            raise PagerError(f"${self.routing_key_env} (the PagerDuty routing key) is not set")
        return key


def configure(node: YNode, check: Checker, what: str, config: Config) -> Options | None:
    fields = check.keys(
        node, what, ("type", "routing_key_env", "url", "timeout"), ("routing_key_env",)
    )
    if not fields or "routing_key_env" not in fields:
        return None
    env = check.string(fields["routing_key_env"], f"{what}.routing_key_env")
    url = check.string(fields["url"], f"{what}.url") if "url" in fields else EVENTS_URL
    if url and not url.startswith(("https://", "http://")):
        check.error(fields["url"].pos, f"{what}.url must start with https://")
        return None
    timeout = check.duration(fields["timeout"], f"{what}.timeout") if "timeout" in fields else 10.0
    return Options(env, url, timeout or 10.0) if env and url else None


def dedup_key(incident: Incident) -> str:
    return str(incident.id)


async def send(options: Options, page: Page, http: aiohttp.ClientSession) -> Mapping[str, Any]:
    incident = page.incident
    event: dict[str, Any] = {
        "routing_key": options.routing_key(),
        "event_action": "trigger",
        "dedup_key": dedup_key(incident),
        "payload": {
            "summary": page.subject[:SUMMARY_LIMIT],
            "source": "surge",
            "severity": SEVERITY.get(incident.severity, "error"),
            "custom_details": {
                "text": page.text,
                "person": page.person.id,
                "contact": page.address,
                "playbook": incident.playbook_id,
            },
        },
        "client": "surge",
    }
    if page.links.get("ack"):
        event["links"] = [{"href": page.links["ack"], "text": "Acknowledge in surge"}]
    return await _post(options, event, http)


async def update(
    options: Options, incident: Incident, action: Update, http: aiohttp.ClientSession
) -> None:
    event = {
        "routing_key": options.routing_key(),
        "event_action": action,
        "dedup_key": dedup_key(incident),
    }
    await _post(options, event, http)


async def _post(
    options: Options, event: dict[str, Any], http: aiohttp.ClientSession
) -> dict[str, Any]:
    limit = aiohttp.ClientTimeout(total=options.timeout)
    try:
        async with http.post(
            options.url, json=event, timeout=limit, allow_redirects=False
        ) as response:
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise PagerError(f"PagerDuty: {type(error).__name__}: {error}") from None
    answer = body if isinstance(body, dict) else {}
    if response.status == 202 and answer.get("status") == "success":
        return {"dedup_key": answer.get("dedup_key"), "message": answer.get("message")}
    if response.status == 429:
        raise PagerError("PagerDuty is rate limiting this routing key (429); try again later")
    errors = "; ".join(str(item) for item in answer.get("errors") or [])
    message = answer.get("message") or answer.get("status") or "no reason given"
    raise PagerError(
        f"PagerDuty answered {response.status}: {message}" + (f" ({errors})" if errors else "")
    )


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        PagerSpec(
            type="pagerduty",
            configure=configure,
            send=send,
            update=update,
            safe_to_resend=True,
            description="PagerDuty Events API v2, the surge incident's id as dedup_key.",
        )
    ]
