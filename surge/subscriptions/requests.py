"""Reading a subscribe request (``POST /api/v1/subscriptions``): every problem at once.

An e-mail address must be one plain address (no display name, at most 254 characters);
a webhook an ``http(s)`` URL without credentials or fragment, at most 2000 characters,
to a public host unless private ones are allowed. Components must be configured ones.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from surge.playbook.messages import show
from surge.subscriptions.records import SubscriberKind
from surge.subscriptions.send import private_host
from surge.subscriptions.texts import LOCALES

FIELDS = ("email", "webhook", "components", "locale")
MAX_EMAIL, MAX_URL, MAX_COMPONENTS = 254, 2000, 100
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)


@dataclass(frozen=True)
class Request:
    kind: SubscriberKind
    address: str
    components: tuple[str, ...]
    locale: str


class RequestError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def read_request(
    body: Mapping[str, Any],
    known: Collection[str],
    default_locale: str,
    *,
    allow_private: bool = False,
) -> Request:
    """The request, or RequestError listing every reason it is not one."""
    problems = [
        f"unknown field {show(key)}; fields: {', '.join(FIELDS)}"
        for key in body
        if key not in FIELDS
    ]
    kind, address = _address(body, problems, allow_private)
    components = _components(body.get("components"), known, problems)
    locale = body.get("locale", default_locale)
    if locale not in LOCALES:
        problems.append(f"locale must be one of {', '.join(LOCALES)}; got {show(locale)}")
    if problems or kind is None:
        raise RequestError(problems or ["give email or webhook"])
    return Request(kind, address, components, str(locale))


def _address(
    body: Mapping[str, Any], problems: list[str], allow_private: bool
) -> tuple[SubscriberKind | None, str]:
    given = [key for key in ("email", "webhook") if key in body]
    if len(given) != 1:
        problems.append("give either email (an address) or webhook (a URL), one of them")
        return None, ""
    value = body[given[0]]
    if given[0] == "email":
        found = email_problem(value)
        if found:
            problems.append(found)
            return None, ""
        local, _, domain = str(value).rpartition("@")
        return SubscriberKind.EMAIL, f"{local}@{domain}".lower()
    found = url_problem(value, allow_private)
    if found:
        problems.append(found)
        return None, ""
    return SubscriberKind.WEBHOOK, str(value)


def email_problem(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "email must be an e-mail address, as a string"
    if len(value) > MAX_EMAIL:
        return f"email has {len(value)} characters; an address has at most {MAX_EMAIL}"
    domain = value.rpartition("@")[2]
    if not _EMAIL.match(value) or "." not in domain or ".." in value:
        return f"email {show(value[:80])} is not an address like name@example.com"
    return ""


def url_problem(value: Any, allow_private: bool) -> str:
    if not isinstance(value, str) or not value:
        return "webhook must be a URL, as a string"
    if len(value) > MAX_URL:
        return f"webhook has {len(value)} characters; at most {MAX_URL}"
    if not value.isascii() or any(char.isspace() or ord(char) < 32 for char in value):
        return "webhook must be a URL without spaces (percent-encode other characters)"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as error:
        return f"webhook is not a URL: {error}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "webhook must be an http:// or https:// URL with a host"
    if parts.username is not None or parts.password is not None:
        return "webhook must not hold a user name or password; the body is signed instead"
    if parts.fragment:
        return "webhook must not have a #fragment"
    if not allow_private and private_host(parts.hostname):
        return "webhook must go to a public address, not loopback or a private network"
    return ""


def _components(value: Any, known: Collection[str], problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append("components must be a list of component ids (none: every component)")
        return ()
    if len(value) > MAX_COMPONENTS:
        problems.append(f"components lists {len(value)}; at most {MAX_COMPONENTS}")
        return ()
    unknown = [item for item in value if item not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none are configured"
        shown = ", ".join(show(item[:80]) for item in unknown[:10])
        problems.append(f"unknown component(s) {shown}; components: {listed}")
        return ()
    return tuple(dict.fromkeys(value))
