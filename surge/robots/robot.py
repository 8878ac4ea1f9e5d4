"""What a chat platform's group robot is to surge, and how one request reaches it.

A platform plugin (plugins/wecom, plugins/dingtalk, plugins/feishu) subclasses ``Robot``
with what differs between platforms: how a person is mentioned, what a message body looks
like, how a request is signed, which answers mean "too many". Everything else is here
and the same for all: posting the JSON, reading the answer (``errcode`` / ``code`` not 0
is a ``RobotError``, so the post fails on this channel and falls over to its backup;
a rate-limit answer is ``Throttled``, which the robot's queue waits out), the message's
parts and its queue.

Secrets (webhook keys, signing secrets) are read when a request is made, are put only in
the request, and never in an error: an error names the platform, the call and the
platform's code and message, never the URL it went to.
"""

from __future__ import annotations

import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from surge.channels.provider import ChannelError
from surge.robots.mentions import Mention, looks_like_mobile
from surge.robots.queue import RateLimit, Throttled, identity
from surge.robots.split import Measure, measure_of
from surge.rota.model import Person

if TYPE_CHECKING:
    from surge.robots.connection import Secret

Body = dict[str, Any]
# < before a letter, / or @ (a tag or a mention), ](  (a link), @all: what text from a
# script could use to mention or link someone; a zero-width space defuses it
_DEFUSE = re.compile(r"<(?=[A-Za-z/@!])|\](?=\()|@(?=all\b)", re.I)
ZWSP = "\u200b"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class RobotError(ChannelError):
    """The platform refused the request: ``code`` is its error code (``errcode``)."""

    def __init__(self, platform: str, what: str, code: object, message: str, *, retryable: bool):
        super().__init__(
            f"{platform} {what}: errcode {code} {message}".strip(), retryable=retryable
        )
        self.code = code


@dataclass(frozen=True)
class Request:
    """One HTTP request to the platform, signed for now."""

    url: str
    body: Body | None = None
    headers: Mapping[str, str] | None = None
    method: str = "POST"


class Platform:
    """How one platform answers: where its error code is, which codes mean "too many"."""

    platform: str = ""  # wecom, dingtalk, feishu
    code_key = "errcode"
    message_key = "errmsg"
    throttle_codes: frozenset[int] = frozenset()
    throttle_wait = 60.0  # seconds to wait after a "too many" answer that names none
    timeout = 10.0

    async def call(self, http: aiohttp.ClientSession, request: Request, what: str) -> Body:
        """Make ``request``; the platform's answer, or RobotError / Throttled."""
        return await fetch_json(http, request, self, what)

    def check(self, what: str, status: int, answer: Body) -> Body:
        code = answer.get(self.code_key, answer.get("StatusCode", 0 if status < 400 else status))
        message = str(answer.get(self.message_key) or answer.get("msg") or "")
        if status == 429:
            raise Throttled(
                f"{self.platform} {what}: HTTP 429 {message}".strip(), self.throttle_wait
            )
        number = _number(code)
        if number == 0 and status < 400:
            return answer
        if number in self.throttle_codes:
            raise Throttled(f"{self.platform} {what}: errcode {code} {message}", self.throttle_wait)
        retryable = status >= 500 or number == -1  # -1: "system busy" on these platforms
        raise RobotError(self.platform, what, code, message, retryable=retryable)


class Robot(Platform, ABC):
    """One group robot of one platform (a webhook), as configured for a channel."""

    limit: int = 4096  # of one message's text, counted by ``size``
    measure: Measure = "bytes"
    markdown: bool = True  # the text is markdown (else plain lines)
    default_rate = RateLimit(20, 60.0)

    def __init__(self, identity: str, rate: RateLimit | None = None) -> None:
        self.identity = identity  # the queue's name for it: no secret in it
        self.rate = rate or self.default_rate
        self.throttle_wait = self.rate.per  # after "too many", the window has passed

    def size(self, text: str) -> int:
        """How much of ``limit`` ``text`` takes (a sum over its pieces)."""
        return measure_of(self.measure)(text)

    @abstractmethod
    def mention(self, person: Person, address: str = "") -> Mention | None:
        """How this platform mentions ``person`` (``address``: a pager contact's)."""

    @abstractmethod
    def mention_text(self, mentions: Sequence[Mention]) -> str:
        """What goes into the text so the mentions show (``<@liwei>``, ``@138…``)."""

    @abstractmethod
    def bodies(self, text: str, title: str, mentions: Sequence[Mention]) -> list[Body]:
        """The request bodies that post ``text`` (one part, within ``limit``)."""

    @abstractmethod
    def request(self, body: Body) -> Request:
        """``body`` as a request to the webhook, signed now; ChannelError (not
        retryable) when a secret it needs is not set."""

    def defuse(self, text: str) -> str:
        """Text from a script as data: it cannot mention, tag or link anyone."""
        return _DEFUSE.sub(lambda found: found.group(0) + ZWSP, text)

    def person_mention(self, person: Person, key: str, address: str = "") -> Mention | None:
        """The usual rule: the address, else ``ids[key]``, as a user id; a number that
        looks like a mobile (``ids.mobile``) as a mobile."""
        for value in (address, person.ids.get(key, ""), person.ids.get("mobile", "")):
            if value:
                if looks_like_mobile(value):
                    return Mention(person.id, value, "mobile")
                return Mention(person.id, value, "user")
        return None

    async def send(self, http: aiohttp.ClientSession, body: Body) -> Body:
        """POST one body to the webhook; the platform's answer, or RobotError / Throttled."""
        return await self.call(http, self.request(body), "send")


async def fetch_json(
    http: aiohttp.ClientSession, request: Request, platform: Platform, what: str
) -> Body:
    limit = aiohttp.ClientTimeout(total=platform.timeout)
    try:
        async with http.request(
            request.method,
            request.url,
            data=encode(request.body) if request.method != "GET" else None,
            headers={**JSON_HEADERS, **(request.headers or {})},
            timeout=limit,
            allow_redirects=False,
        ) as response:
            status = response.status
            answer = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ChannelError(f"{platform.platform} {what}: {reason}") from None
    if not isinstance(answer, dict):
        raise ChannelError(f"{platform.platform} {what}: HTTP {status} without a JSON answer")
    checked: Body = platform.check(what, status, answer)
    return checked


def encode(body: Body | None) -> bytes:
    """JSON in UTF-8 as it is (not ``\\u`` escapes): what the platforms count, and half
    the size of escaped Chinese."""
    return json.dumps(body or {}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _number(code: object) -> int | None:
    try:
        return int(str(code))
    except ValueError:
        return None


class SignedRobot(Robot):
    """A robot whose requests carry a signature made with a secret at a time (DingTalk's
    and Feishu's custom robots): the same settings, each platform its own way of signing."""

    def __init__(
        self,
        base_url: str,
        token: Secret,
        secret: Secret | None,
        rate: RateLimit | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(identity(self.platform, base_url, token.env or token.value or ""), rate)
        self.base_url = base_url
        self.token = token
        self.secret = secret
        self.clock = clock
