"""The ``email`` channel provider: a distribution list, through surge's one SMTP client.

``channels: {NAME: {provider: email, to: [ADDRESS, …]}}`` mails each message to the list
with the server under ``smtp:`` (or the channel's own ``smtp:``). The Message-ID comes
from the step's key, so a message sent again after a crash carries the same id, and all
of an incident's mails share a ``References`` header so mail programs thread them.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr

from surge.channels.config import ChannelBinding
from surge.channels.provider import (
    ChannelError,
    ChannelProvider,
    Message,
    OpenRequest,
    Posted,
    ProviderConnection,
    ProviderType,
    Room,
)
from surge.config import Config
from surge.mail import MailError, SmtpSettings, compose, parse_smtp, send
from surge.plugin import hookimpl
from surge.yamlcheck import Checker


class EmailConnection(ProviderConnection):
    def __init__(self, config: Config, check: Checker) -> None:
        self.config = config

    def bind(self, binding: ChannelBinding, check: Checker) -> ChannelProvider | None:
        what = f"channels.{binding.name}"
        fields = check.keys(binding.node, what, ("to", "smtp", "subject"), ("to",))
        if not fields or "to" not in fields:
            return None
        to = check.strings(fields["to"], f"{what}.to")
        for address in to:
            if "@" not in parseaddr(address)[1]:
                check.error(fields["to"].pos, f"{what}.to: {address!r} is not an address")
        smtp = parse_smtp(fields["smtp"], check, f"{what}.smtp") if "smtp" in fields else None
        smtp = smtp or self.config.smtp
        if smtp is None:
            check.error(
                binding.node.pos,
                f"{what}: say which mail server sends it: `smtp:` here or at the top of the config",
            )
            return None
        subject = (
            check.string(fields["subject"], f"{what}.subject") if "subject" in fields else None
        )
        if not to:
            return None
        return EmailChannel(binding.name, tuple(to), smtp, subject)


class EmailChannel(ChannelProvider):
    medium = "email"

    def __init__(
        self, channel: str, to: tuple[str, ...], smtp: SmtpSettings, subject: str | None
    ) -> None:
        self.channel = channel
        self.to = to
        self.smtp = smtp
        self.subject = subject

    async def open(self, request: OpenRequest) -> Room:
        return Room(", ".join(self.to), request.name)

    async def post(self, room: Room | None, message: Message) -> Posted:
        incident = message.incident
        domain = parseaddr(self.smtp.sender)[1].rpartition("@")[2] or "localhost"
        thread = f"<surge-incident-{incident.id}@{domain}>"
        subject = f"[surge #{incident.id}] {self.subject or incident.title}"
        mail = compose(
            self.smtp,
            list(self.to),
            subject,
            message.text,
            idempotency_key=message.key,
            headers={"References": thread, "In-Reply-To": thread},
        )
        try:
            await send(self.smtp, mail)
        except MailError as error:
            raise ChannelError(str(error), retryable=error.retryable) from None
        return Posted(str(mail["Message-ID"]), ", ".join(self.to))


@hookimpl
def surge_register_channel_providers() -> Iterable[ProviderType]:
    return [ProviderType("email", EmailConnection, "mails to a distribution list (smtp:)")]
