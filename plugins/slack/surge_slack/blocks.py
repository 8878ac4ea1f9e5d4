"""Block Kit for what surge posts: a script in its locales, and an incident's summary with
Acknowledge, Escalate and Resolve buttons. Text from outside goes in ``plain_text`` (or is
escaped for mrkdwn), so it shows as written and can mention or link no one."""

from __future__ import annotations

from typing import Any

from surge.channels.provider import Message, NoticePost, Summary
from surge.paging.spec import Page
from surge_slack.texts import text

SECTION_MAX = 3000  # characters Slack takes in one section's text
ACK, ESCALATE, RESOLVE = "surge.ack", "surge.escalate", "surge.resolve"
# a page's buttons, in the DM to the person paged (who may press them without a role)
PAGE_ACK, PAGE_ESCALATE = "surge.page.ack", "surge.page.escalate"
# a draft notice's button: its value NOTICE:VERSION, pressed by someone who may publish
APPROVE_NOTICE = "surge.approve_notice"
Block = dict[str, Any]
ANSWER_BLOCK = "surge-answer"  # the block that says what became of a message's buttons


def escape(value: str) -> str:
    """mrkdwn's three control characters, so a value cannot become a link or a mention."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(value: str, limit: int = SECTION_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": value[:limit] or " ", "emoji": False}


def message_blocks(message: Message, locale: str) -> list[Block]:
    blocks: list[Block] = []
    if message.kind == "script":
        blocks.append({"type": "header", "text": _plain(f"📌 {text('script', locale)}", 150)})
    for item in message.texts:
        blocks.append({"type": "section", "text": _plain(item.text)})
    incident = message.incident
    context = f"surge · {text('incident', locale)} #{incident.id} · {message.script_id}"
    blocks.append({"type": "context", "elements": [_plain(context, 300)]})
    return blocks


def summary_blocks(summary: Summary, locale: str) -> list[Block]:
    incident = summary.incident
    status = text(incident.status.value, locale)
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"#{incident.id} {incident.title}", 150)},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{text('status', locale)}*\n{escape(status)}"},
                {
                    "type": "mrkdwn",
                    "text": f"*{text('severity', locale)}*\n{escape(incident.severity)}",
                },
            ],
        },
    ]
    for name, number in summary.hotlines:
        line = f"{text('hotline', locale)} {name}: {number}"
        blocks.append({"type": "section", "text": _plain(line)})
    if summary.lines:
        latest = "\n".join(summary.lines)
        blocks.append({"type": "section", "text": _plain(f"{text('latest', locale)}\n{latest}")})
    if incident.status.is_open:
        blocks.append(_buttons(incident.id, locale))
    return blocks


def _button(action: str, value: str, label: str, locale: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action,
        "value": value,
        "text": _plain(text(label, locale), 75),
        **extra,
    }


def page_blocks(page: Page, locale: str) -> list[Block]:
    """A page as a DM: its text, where it comes from, and Acknowledge and Escalate."""
    incident = page.incident
    context = f"surge · {text('incident', locale)} #{incident.id} · {text('paged', locale)}"
    value = str(incident.id)
    return [
        {"type": "section", "text": _plain(page.text)},
        {"type": "context", "elements": [_plain(context, 300)]},
        {
            "type": "actions",
            "block_id": f"surge-page-{incident.id}",
            "elements": [
                _button(PAGE_ACK, value, "ack", locale, style="primary"),
                _button(PAGE_ESCALATE, value, "escalate", locale, style="danger"),
            ],
        },
    ]


def _buttons(incident_id: int, locale: str) -> Block:
    value = str(incident_id)

    def button(action: str, label: str, **extra: Any) -> dict[str, Any]:
        return _button(action, value, label, locale, **extra)

    confirm = {
        "title": _plain(text("confirm_resolve", locale), 100),
        "text": _plain(text("confirm_resolve_text", locale), 300),
        "confirm": _plain(text("resolve", locale), 30),
        "deny": _plain(text("cancel", locale), 30),
    }
    return {
        "type": "actions",
        "block_id": f"surge-incident-{incident_id}",
        "elements": [
            button(ACK, "ack", style="primary"),
            button(ESCALATE, "escalate", style="danger"),
            button(RESOLVE, "resolve", confirm=confirm),
        ],
    }


def notice_blocks(post: NoticePost, locale: str) -> list[Block]:
    """A notice's version: its title and text in the channel's locales, its state and
    components, and for a draft who wrote it and an Approve button."""
    notice, version = post.notice, post.version
    texts = post.texts()
    title = texts[0][1] if texts else ""
    blocks: list[Block] = [{"type": "header", "text": _plain(f"📢 {title}", 150)}]
    for _, heading, body in texts:
        blocks.append(
            {"type": "section", "text": _plain(f"{heading}\n{body}" if heading else body)}
        )
    parts = [
        f"{text('notice', locale)} #{notice.id} v{version.number}",
        text(version.state, locale),
    ]
    parts += [f"{name}: {text(status, locale)}" for name, status in version.components.items()]
    blocks.append({"type": "context", "elements": [_plain(" · ".join(parts), 300)]})
    if not post.draft:
        shown = text("notice_published", locale, by=version.published_by)
        blocks.append({"type": "context", "elements": [_plain(shown, 300)]})
        return blocks
    waiting = text("notice_draft", locale, by=version.author)
    blocks.append({"type": "section", "text": _plain(waiting)})
    value = f"{notice.id}:{version.number}"
    confirm = {
        "title": _plain(text("confirm_publish", locale), 100),
        "text": _plain(text("confirm_publish_text", locale), 300),
        "confirm": _plain(text("approve", locale), 30),
        "deny": _plain(text("cancel", locale), 30),
    }
    approve = _button(APPROVE_NOTICE, value, "approve", locale, style="primary", confirm=confirm)
    blocks.append(
        {"type": "actions", "block_id": f"surge-notice-{notice.id}", "elements": [approve]}
    )
    return blocks


def notice_text(post: NoticePost) -> str:
    """The notification's plain text: the title in each of the channel's locales."""
    return " / ".join(title for _, title, _ in post.texts() if title)[:300] or "surge"


def settled_blocks(blocks: list[Block], answer: str) -> list[Block]:
    """A message whose buttons are done with (a page answered): its blocks without the
    buttons (or an earlier answer), and the answer under them."""
    kept = [
        block
        for block in blocks
        if isinstance(block, dict)
        and block.get("type") != "actions"
        and block.get("block_id") != ANSWER_BLOCK
    ]
    answered = {"type": "context", "block_id": ANSWER_BLOCK}
    return [*kept, {**answered, "elements": [_plain(f"✅ {answer}", 300)]}]


def summary_text(summary: Summary, locale: str) -> str:
    """The notification's plain text (Slack shows it where blocks cannot be shown)."""
    incident = summary.incident
    return f"#{incident.id} {incident.title}: {text(incident.status.value, locale)}"
