"""``/page/{token}``: the signed one-time links in pages (public: the link is the key).

GET shows what the link will do and a button, because mail scanners and chat previews
fetch links; only the POST acknowledges, accepts or declines. A link that was used, has
expired or is not ours says so plainly. The page speaks the paged person's language.
"""

from __future__ import annotations

import html

from aiohttp import web

from surge.audit.changes import Change
from surge.paging.links import Claim, LinkError, read_token
from surge.paging.records import Answer, PageRecord
from surge.runtime import Runtime
from surge.web.audit import actor, audit
from surge.web.auth import public
from surge.web.keys import runtime
from surge.web.openapi import Answer as Reply
from surge.web.openapi import describe, path

routes = web.RouteTableDef()
_HTML = {"type": "string", "description": "an HTML page in the paged person's language"}
_TOKEN = path(
    "token",
    {"type": "string", "pattern": "^[A-Za-z0-9_.=-]+$", "maxLength": 1024},
    "the signed link",
    "eyJwIjoxfQ.c2ln",
)


def _answers(done: str) -> dict[int, Reply | str]:
    return {
        200: Reply(done, _HTML, content_type="text/html"),
        400: "the request line is too long for the server to read",
        404: Reply(
            "the link is not valid (forged, cut short, or links are off)", _HTML, "text/html"
        ),
        409: Reply("the link was already used", _HTML, "text/html"),
        410: Reply("the link has expired", _HTML, "text/html"),
    }


WORDS = {
    "en": {
        Answer.ACK: "Acknowledge incident {incident}",
        Answer.ACCEPT: "Yes, I can come in (incident {incident})",
        Answer.DECLINE: "No, I cannot come in (incident {incident})",
        "used": "This link was already used",
        "expired": "This link has expired",
        "invalid": "This link is not valid",
        "done": "Done",
        "ack-done": "Thank you: incident {incident} is acknowledged.",
        "accept-done": "Thank you: you are expected for incident {incident}.",
        "decline-done": "Thank you for answering; someone else will be asked.",
    },
    "zh-CN": {
        Answer.ACK: "确认事件 {incident}",
        Answer.ACCEPT: "可以，我来增援（事件 {incident}）",
        Answer.DECLINE: "不行，我来不了（事件 {incident}）",
        "used": "此链接已使用过",
        "expired": "此链接已过期",
        "invalid": "此链接无效",
        "done": "已完成",
        "ack-done": "谢谢：事件 {incident} 已确认。",
        "accept-done": "谢谢：请按时上线处理事件 {incident}。",
        "decline-done": "谢谢答复，我们会联系其他同事。",
    },
    "zh-TW": {
        Answer.ACK: "確認事件 {incident}",
        Answer.ACCEPT: "可以，我來增援（事件 {incident}）",
        Answer.DECLINE: "不行，我來不了（事件 {incident}）",
        "used": "此連結已使用過",
        "expired": "此連結已過期",
        "invalid": "此連結無效",
        "done": "已完成",
        "ack-done": "謝謝：事件 {incident} 已確認。",
        "accept-done": "謝謝：請準時上線處理事件 {incident}。",
        "decline-done": "謝謝答覆，我們會聯絡其他同事。",
    },
}


def html_page(
    status: int, locale: str, heading: str, body: str = "", form: str = ""
) -> web.Response:
    text = (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>surge: {html.escape(heading)}</title></head><body>"
        f"<h1>{html.escape(heading)}</h1><p>{html.escape(body)}</p>{form}</body></html>"
    )
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def _claim(state: Runtime, token: str) -> tuple[Claim, PageRecord, str]:
    """The link's claim, its page and the person's locale; raises LinkError."""
    secret = state.config.pagers.links.secret()
    if not secret:
        raise LinkError("links are not enabled on this server")
    claim = read_token(secret, token, state.engine.clock())
    page = await state.store.page(claim.page_id)
    if page is None:
        raise LinkError("this page no longer exists")
    rota = state.engine.services.rota
    person = rota.people.get(page.person) if rota else None
    return claim, page, person.locale if person else "en"


def _refusal(error: LinkError) -> web.Response:
    words = WORDS["en"]
    heading = words["expired"] if error.expired else words["invalid"]
    return html_page(410 if error.expired else 404, "en", heading, str(error))


@routes.get("/page/{token}")
@public("the signed one-time link in a page is the key; opening it changes nothing")
@describe(
    "page.confirm",
    "What a link in a page will do, with a button; opening it changes nothing",
    tags=["rota"],
    params=[_TOKEN],
    responses=_answers("the confirmation page"),
)
async def confirm(request: web.Request) -> web.Response:
    try:
        claim, page, locale = await _claim(runtime(request), request.match_info["token"])
    except LinkError as error:
        return _refusal(error)
    words = WORDS.get(locale, WORDS["en"])
    if page.answer == Answer.TIMEOUT.value:
        return html_page(410, locale, str(words["expired"]), "")
    if page.answer:
        return html_page(409, locale, str(words["used"]), f"{page.answer} ({page.answered_at})")
    label = str(words[claim.action]).format(incident=page.incident_id)
    form = f'<form method="post"><button type="submit">{html.escape(label)}</button></form>'
    return html_page(200, locale, label, "", form)


@routes.post("/page/{token}")
@public("the signed one-time link in a page is the key, and works once")
@describe(
    "page.answer",
    "Acknowledge, accept or decline, as the link says: once",
    tags=["rota"],
    params=[_TOKEN],
    responses=_answers("done"),
)
async def answer(request: web.Request) -> web.Response:
    state = runtime(request)
    try:
        claim, page, locale = await _claim(state, request.match_info["token"])
    except LinkError as error:
        return _refusal(error)
    words = WORDS.get(locale, WORDS["en"])
    paging = state.engine.services.pagers
    assert paging is not None
    outcome = await paging.answer(page.id, claim.action, "link")
    if not outcome.ok:
        return html_page(409, locale, str(words["used"]), outcome.message)
    change = Change(f"page.{claim.action.value}", f"incident:{page.incident_id}", {"page": page.id})
    await audit(request, change, who=actor(request, f"link:{page.person}", "link"))
    said = str(words[f"{claim.action.value}-done"]).format(incident=page.incident_id)
    return html_page(200, locale, str(words["done"]), said)
