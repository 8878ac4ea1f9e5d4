"""The ``slack`` pager: a page as a direct message with Acknowledge and Escalate buttons.

``pagers: {slack: {}}`` in the config and a contact method ``{slack: U0123ABCD}`` in the
rota page that person in a DM from the bot (``conversations.open``, ``chat.postMessage``),
in their locale. The message carries the page's key in its metadata, and a page sent
again after a crash first looks for it in the DM's history: so the pager may resend
safely, and nobody gets one page twice. Once the incident is acknowledged or resolved,
every DM that paged someone for it loses its buttons and says so (``settle``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from surge.channels.provider import ChannelError
from surge.config import Config
from surge.paging.records import PageRecord
from surge.paging.spec import Page, PagerError, PagerSpec, Update
from surge.store.records import Incident
from surge.yamlcheck import Checker
from surge.yamlpos import YNode
from surge_slack.blocks import page_blocks, settled_blocks
from surge_slack.directory import PAGER_TYPE
from surge_slack.settings import SlackSettings, parse_settings
from surge_slack.texts import text
from surge_slack.workspace import SlackApi

METADATA_EVENT = "surge_page"
_LOOK_BACK = 60.0  # seconds before the incident began that a DM's history is read from


@dataclass(frozen=True)
class SlackPagerOptions:
    settings: SlackSettings


def configure(node: YNode, check: Checker, what: str, config: Config) -> SlackPagerOptions | None:
    if check.keys(node, what, ("type",)) is None:
        return None
    # the channel provider reports plugins.slack's problems when a channel uses it
    reports = not any(binding.provider == PAGER_TYPE for binding in config.channels.values())
    settings = parse_settings(config, check if reports else Checker())
    if settings is None:
        check.error(
            node.pos,
            f"{what}: the slack pager needs "
            "`plugins: {slack: {token_env: …, signing_secret_env: …}}`",
        )
        return None
    return SlackPagerOptions(settings)


async def send(
    options: SlackPagerOptions, page: Page, http: aiohttp.ClientSession
) -> Mapping[str, Any]:
    api = SlackApi(options.settings, http)
    try:
        opened = await api.call("conversations.open", users=page.address, return_im=True)
        channel = str((opened.get("channel") or {}).get("id") or "")
        if not channel:
            raise PagerError(f"Slack conversations.open gave no DM with {page.address}")
        oldest = page.incident.created_at.timestamp() - _LOOK_BACK
        found = await api.find_message(channel, page.key, oldest, pages=1)
        ts = str(found["ts"]) if found else None
        again = ts is not None
        if ts is None:
            answer = await api.call(
                "chat.postMessage",
                channel=channel,
                text=page.text[:4000],
                blocks=page_blocks(page, page.person.locale),
                metadata={
                    "event_type": METADATA_EVENT,
                    "event_payload": {"key": page.key, "incident": page.incident.id},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
            ts = str(answer["ts"])
    except ChannelError as error:
        raise PagerError(str(error)) from None
    return {"channel": channel, "ts": ts, "again": again}


async def settle(
    options: SlackPagerOptions,
    incident: Incident,
    event: Update,
    pages: Sequence[PageRecord],
    http: aiohttp.ClientSession,
) -> None:
    """The incident was acknowledged or resolved: every DM that paged someone for it loses
    its buttons and says so, so nobody answers a page that is over."""
    api = SlackApi(options.settings, http)
    done = "done_ack" if event == "acknowledge" else "done_resolve"
    answer = text(done, options.settings.locale, id=incident.id)
    oldest = incident.created_at.timestamp() - _LOOK_BACK
    failed: list[str] = []
    for page in pages:
        try:
            opened = await api.call("conversations.open", users=page.address, return_im=True)
            channel = str((opened.get("channel") or {}).get("id") or "")
            found = await api.find_message(channel, page.key, oldest, pages=1)
            if found is None:
                continue
            blocks = settled_blocks(list(found.get("blocks") or []), answer)
            fallback = str(found.get("text") or answer)
            await api.call(
                "chat.update", channel=channel, ts=found["ts"], text=fallback, blocks=blocks
            )
        except ChannelError as error:
            failed.append(f"{page.address}: {error}")
    if failed:
        raise PagerError("could not update the pages' DMs: " + "; ".join(failed))


SPEC = PagerSpec(
    type=PAGER_TYPE,
    configure=configure,
    send=send,
    settle=settle,
    safe_to_resend=True,
    description="Slack: a DM with Acknowledge and Escalate buttons",
)
