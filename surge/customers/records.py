"""One affected customer of one incident, and how their contact is shown where it may be
read by more people than need it (reports, timelines): masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_REF = 200
MAX_CHANNEL = 100
MAX_CONTACT = 200
MAX_NOTE = 2000


@dataclass(frozen=True)
class AffectedCustomer:
    """``contact`` is personal data: it goes to the store and to those allowed to respond,
    never to a log or a timeline, and a report shows ``masked_contact``."""

    incident_id: int
    ref: str  # the customer's reference in the service's own systems (account, order)
    channel: str  # where they reached the service: hotline, web-chat, weibo, …
    contact: str  # a phone number, an e-mail address, a handle
    note: str
    added_by: str
    added_at: datetime
    id: int = 0

    @property
    def masked_contact(self) -> str:
        return mask_contact(self.contact)


def mask_contact(contact: str) -> str:
    """``a***@example.com``, ``*******5678`` (the last four digits), ``w***`` otherwise."""
    text = contact.strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if at and local:
        return f"{local[0]}***@{domain}"
    digits = sum(char.isdigit() for char in text)
    if digits >= 7:
        return "*" * (len(text) - 4) + text[-4:]
    return f"{text[0]}***"


def problems(ref: object, channel: object, contact: object, note: object) -> list[str]:
    """Why these fields are not a customer, each reason once; empty when they are."""
    found = []
    fields: list[tuple[str, object, int, int]] = [
        ("ref", ref, MAX_REF, 1),
        ("channel", channel, MAX_CHANNEL, 0),
        ("contact", contact, MAX_CONTACT, 0),
        ("note", note, MAX_NOTE, 0),
    ]
    for name, value, longest, shortest in fields:
        if not isinstance(value, str):
            found.append(f"{name} must be text")
        elif not shortest <= len(value.strip()) <= longest:
            limits = f"from {shortest} to {longest}" if shortest else f"at most {longest}"
            found.append(f"{name} must be {limits} characters")
        elif any(ord(char) < 32 and char not in "\n\t" for char in value):
            found.append(f"{name} holds control characters")
    return found
