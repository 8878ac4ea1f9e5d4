"""The built-in pagers: ``email`` (SMTP through surge/mail.py) and ``webhook`` (signed
JSON, for SMS gateways and anything else with an HTTP API)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from surge.actions import ActionError
from surge.config import Config, WebhookTarget, parse_webhook_target
from surge.mail import MailError, SmtpSettings, compose, parse_smtp, send
from surge.paging.spec import Page, PagerError, PagerSpec
from surge.plugin import hookimpl
from surge.plugin.builtin.webhook import Endpoint, post_signed
from surge.yamlcheck import Checker
from surge.yamlpos import YNode


@dataclass(frozen=True)
class EmailOptions:
    smtp: SmtpSettings


def _configure_email(node: YNode, check: Checker, what: str, config: Config) -> EmailOptions | None:
    fields = check.keys(node, what, ("type", "smtp"))
    if fields is None:
        return None
    smtp = parse_smtp(fields["smtp"], check, f"{what}.smtp") if "smtp" in fields else config.smtp
    if smtp is None:
        if "smtp" not in fields:
            check.error(node.pos, f"{what} needs a mail server: {what}.smtp or smtp: in the config")
        return None
    return EmailOptions(smtp)


async def _send_email(
    options: EmailOptions, page: Page, http: aiohttp.ClientSession
) -> Mapping[str, Any]:
    message = compose(
        options.smtp, [page.address], page.subject, page.text, idempotency_key=page.key
    )
    try:
        await send(options.smtp, message)
    except MailError as error:
        raise PagerError(str(error)) from None
    return {"message_id": message["Message-ID"]}


def _configure_webhook(
    node: YNode, check: Checker, what: str, config: Config
) -> WebhookTarget | None:
    return parse_webhook_target(node, check, what, extra=("type",))


async def _send_webhook(
    target: WebhookTarget, page: Page, http: aiohttp.ClientSession
) -> Mapping[str, Any]:
    incident = page.incident
    body = {
        "key": page.key,
        "purpose": page.purpose,
        "incident": {"id": incident.id, "title": incident.title, "severity": incident.severity},
        "person": {"id": page.person.id, "name": page.person.name, "locale": page.person.locale},
        "to": page.address,
        "subject": page.subject,
        "text": page.text,
        "links": dict(page.links),
    }
    secret = target.signing_secret()
    if target.secret_env and not secret:
        raise PagerError(f"${target.secret_env} is not set; not sending unsigned")
    try:
        to = Endpoint(target.url, secret, target.timeout, dict(target.headers))
        return await post_signed(http, to, body, page.key)
    except ActionError as error:
        raise PagerError(str(error)) from None


@hookimpl
def surge_register_pagers() -> Iterable[PagerSpec]:
    return [
        PagerSpec(
            type="email",
            configure=_configure_email,
            send=_send_email,
            description="E-mail through the config's SMTP server (STARTTLS and a login).",
        ),
        PagerSpec(
            type="webhook",
            configure=_configure_webhook,
            send=_send_webhook,
            safe_to_resend=True,
            description="Signed JSON with an Idempotency-Key, for SMS gateways and the like.",
        ),
    ]
