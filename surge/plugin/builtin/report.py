"""``report.send``: send the post-incident report to an e-mail list and/or a channel.

To ``to:`` addresses it goes whole, as one mail with a plain-text (Markdown) and an HTML
part, through the config's ``smtp:``; the Message-ID comes from the step's key, so a
re-sent attempt is recognisable as the same mail. A channel carries approved scripts
only: with ``channel:`` give ``script:``, whose declared vars among ``report`` (the
Markdown), ``report_url``, ``incident`` and ``title`` are filled in, beside ``vars``.
``departments`` add follow-ups to those of the playbook's ``report.departments``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from surge.actions import ActionContext, ActionError, ActionResult, ActionSpec, Arg
from surge.channels import posting
from surge.channels.config import ChannelBinding
from surge.channels.messages import render_script
from surge.channels.provider import ChannelProvider
from surge.mail import MailError, compose, send
from surge.plugin import hookimpl
from surge.plugin.builtin.channels import _calling, _channels, _scripts, step_key
from surge.report.build import Reports
from surge.report.model import FollowUp, Report
from surge.report.render import render
from surge.report.text import labels
from surge.scripts.model import LOCALES
from surge.scripts.rules import Rendered


async def _send(ctx: ActionContext) -> ActionResult:
    reports: Reports | None = ctx.services.reports
    if reports is None:
        raise ActionError("reports are not set up in this runtime", retryable=False)
    locale = str(ctx.args["locale"]) if ctx.args.get("locale") else None
    extra = [_follow_up(item) for item in ctx.args.get("departments") or []]
    report = await reports.build(ctx.incident.id, locale=locale, extra=extra)
    if report is None:
        raise ActionError(f"incident {ctx.incident.id} is gone", retryable=False)
    result: dict[str, Any] = {"incident": ctx.incident.id, "locale": report.locale}
    to = [str(address) for address in ctx.args.get("to") or []]
    if to:
        await _mail(ctx, report, to)
        result["emailed"] = to
    if ctx.args.get("channel"):
        result["posted"] = posting.result(await _post(ctx, report))
    await ctx.note(_sent_note(report, to, str(ctx.args.get("channel") or "")), None)
    return result


def _follow_up(item: Any) -> FollowUp:
    """A step's department: its follow-up is already rendered (a ``with`` value), so it is
    not a template again."""
    if isinstance(item, str):
        return FollowUp(item, "")
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        return FollowUp(item["name"], str(item.get("follow_up") or ""))
    raise ActionError("departments: each is a name or {name, follow_up}", retryable=False)


async def _mail(ctx: ActionContext, report: Report, to: list[str]) -> None:
    smtp = ctx.config.smtp
    if smtp is None:
        raise ActionError("sending the report by mail needs `smtp:` in the config", retryable=False)
    text = labels(report.locale)
    subject = str(ctx.args.get("subject") or "")
    subject = subject or f"{text['title']}: #{report.incident.id} {report.incident.title}"
    message = compose(
        smtp,
        to,
        subject,
        render(report, "md"),
        html=render(report, "html"),
        idempotency_key=ctx.idempotency_key.rsplit(":", 1)[0],
    )
    try:
        await send(smtp, message)
    except MailError as error:
        raise ActionError(str(error), retryable=error.retryable) from None


async def _post(ctx: ActionContext, report: Report) -> Any:
    if not ctx.args.get("script"):
        raise ActionError(
            "a channel carries approved scripts only: give `script` with `channel`",
            retryable=False,
        )
    scripts = _scripts(ctx)
    script_id, given = str(ctx.args["script"]), dict(ctx.args.get("vars") or {})
    base = ctx.config.public_url.rstrip("/") if ctx.config.public_url else ""
    automatic = {
        "report": render(report, "md"),
        "report_url": f"{base}/api/v1/incidents/{report.incident.id}/report?format=html",
        "incident": report.incident.id,
        "title": report.incident.title,
    }

    async def compose_post(
        target: ChannelBinding, provider: ChannelProvider
    ) -> tuple[str, tuple[Rendered, ...]]:
        declared = scripts.get(script_id).vars
        variables = {**{k: v for k, v in automatic.items() if k in declared}, **given}
        script, texts = await render_script(
            scripts, script_id, variables, target.locales, provider.medium
        )
        return script.id, texts

    channel = str(ctx.args["channel"])
    sending = posting.post(_channels(ctx), ctx.incident, channel, step_key(ctx), compose_post)
    return await _calling(channel, sending)


def _sent_note(report: Report, to: list[str], channel: str) -> str:
    where = [*([f"{len(to)} address(es)"] if to else []), *([channel] if channel else [])]
    return f"post-incident report sent to {' and '.join(where) or 'nobody'}"


def _check(args: Mapping[str, Any]) -> list[str]:
    if not args.get("to") and not args.get("channel"):
        return ["give `to` (e-mail addresses), `channel`, or both"]
    if args.get("channel") and not args.get("script"):
        return ["a channel carries approved scripts only: give `script` with `channel`"]
    return []


@hookimpl
def surge_register_actions() -> Iterable[ActionSpec]:
    return [
        ActionSpec(
            name="report.send",
            run=_send,
            uses_idempotency_key=True,
            check=_check,
            args={
                "to": Arg("list", description="e-mail addresses: the whole report, by mail"),
                "channel": Arg("string", description="a channel under `channels:`"),
                "script": Arg("string", description="with channel: the approved script"),
                "vars": Arg("mapping", description="with channel: the script's variables"),
                "subject": Arg("string", description="the mail's subject"),
                "locale": Arg("string", choices=LOCALES, description="the headings' language"),
                "departments": Arg(
                    "list", description="more follow-ups: names or {name, follow_up}"
                ),
            },
            description="Send the post-incident report by mail and/or to a channel.",
        )
    ]
