"""What a pager is: a type registered by a plugin (``surge_register_pagers``), configured
under ``pagers:`` in the config, that delivers one page to one address."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import aiohttp

    from surge.config import Config
    from surge.paging.records import PageRecord
    from surge.rota.model import Person
    from surge.store.records import Incident
    from surge.yamlcheck import Checker
    from surge.yamlpos import YNode

Update = Literal["acknowledge", "resolve"]


class PagerError(Exception):
    """The page was not delivered; surge tries the person's next contact method."""


@dataclass(frozen=True)
class Page:
    """One delivery, ready to send: the text comes from an approved response script."""

    key: str  # idempotency key: the same when a delivery is re-sent after a crash
    incident: Incident
    person: Person
    address: str  # from the person's contact method, e.g. an e-mail address
    subject: str  # the first line of the text
    text: str
    links: Mapping[str, str] = field(default_factory=dict)  # "ack", or "accept"/"decline"
    purpose: str = "escalation"  # or "call-in"


@dataclass(frozen=True)
class PagerSpec:
    """A pager type.

    ``configure(node, check, what, config)`` reads the pager's options from its config
    mapping (problems go to ``check`` with positions) and returns what ``send`` gets.
    ``send(options, page, http)`` delivers or raises ``PagerError``; what it returns is
    kept on the timeline. ``update(options, incident, event, http)``, if given, is called
    once per incident it paged when the incident is acknowledged or resolved (PagerDuty
    closes its own incident so). ``settle(options, incident, event, pages, http)``, if
    given, is called then too with the pages this pager sent for the incident (a chat pager
    takes the buttons off its messages). ``safe_to_resend``: the far side de-duplicates on
    ``page.key``, so a delivery cut off by a crash is sent again; otherwise it is marked
    unknown and not repeated.
    """

    type: str
    configure: Callable[[YNode, Checker, str, Config], Any]
    send: Callable[[Any, Page, aiohttp.ClientSession], Awaitable[Mapping[str, Any] | None]]
    update: Callable[[Any, Incident, Update, aiohttp.ClientSession], Awaitable[None]] | None = None
    settle: (
        Callable[
            [Any, Incident, Update, Sequence[PageRecord], aiohttp.ClientSession], Awaitable[None]
        ]
        | None
    ) = None
    safe_to_resend: bool = False
    description: str = ""


@dataclass(frozen=True)
class Pager:
    """A pager as configured: its name under ``pagers:``, its type and its options."""

    name: str
    spec: PagerSpec
    options: Any
