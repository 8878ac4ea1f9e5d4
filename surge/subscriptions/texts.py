"""The words of subscription mails and pages, in zh-CN, zh-TW and en.

Each text is a ``str.format`` pattern written here; what fills it (a notice's title, a
component's name, an address) is only ever a value, never a pattern of its own.
"""

from __future__ import annotations

from surge.scripts.model import LOCALES as LOCALES  # the locales people are spoken to in

DEFAULT_LOCALE = "en"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "confirm.subject": "Confirm your subscription to status updates from {site}",
        "confirm.text": (
            "Someone, hopefully you, asked for status updates from {site} to be sent to this "
            "address ({scope}).\n\nTo confirm, open this link within {hours} hours:\n{link}\n\n"
            "If it was not you, ignore this mail: nothing more will be sent."
        ),
        "scope.all": "every component",
        "scope.some": "these components: {names}",
        "notice.subject": "[{state}] {title}",
        "notice.affected": "Affected: {components}",
        "notice.status_page": "Status page: {url}",
        "link.status_page": "Status page",
        "notice.footer": (
            "You get this mail because you subscribed to status updates from {site} "
            "({scope}). Unsubscribe: {link}"
        ),
        "notice.posted": "Posted {at}",
        "page.confirm": "Confirm your subscription",
        "page.confirm.button": "Yes, send me status updates",
        "page.confirmed": "Subscription confirmed",
        "page.confirmed.text": "Status updates from {site} will be sent to {address}.",
        "page.unsubscribe": "Unsubscribe from status updates",
        "page.unsubscribe.button": "Unsubscribe {address}",
        "page.unsubscribed": "Unsubscribed",
        "page.unsubscribed.text": "No more status updates will be sent to {address}.",
        "page.invalid": "This link is not valid",
        "page.expired": "This link has expired",
        "page.expired.text": "Subscribe again to get a new confirmation mail.",
    },
    "zh-CN": {
        "confirm.subject": "请确认订阅 {site} 的服务状态通知",
        "confirm.text": (
            "有人（希望是您本人）申请将 {site} 的服务状态通知发送到此邮箱（{scope}）。\n\n"
            "请在 {hours} 小时内打开以下链接确认：\n{link}\n\n"
            "如果不是您本人操作，请忽略本邮件，我们不会再发送任何邮件。"
        ),
        "scope.all": "全部服务",
        "scope.some": "以下服务：{names}",
        "notice.subject": "【{state}】{title}",
        "notice.affected": "受影响的服务：{components}",
        "notice.status_page": "服务状态页：{url}",
        "link.status_page": "服务状态页",
        "notice.footer": (
            "您收到本邮件，是因为您订阅了 {site} 的服务状态通知（{scope}）。退订：{link}"
        ),
        "notice.posted": "发布时间 {at}",
        "page.confirm": "确认订阅",
        "page.confirm.button": "确认，给我发送服务状态通知",
        "page.confirmed": "订阅已确认",
        "page.confirmed.text": "{site} 的服务状态通知将发送到 {address}。",
        "page.unsubscribe": "退订服务状态通知",
        "page.unsubscribe.button": "退订 {address}",
        "page.unsubscribed": "已退订",
        "page.unsubscribed.text": "我们不会再向 {address} 发送服务状态通知。",
        "page.invalid": "此链接无效",
        "page.expired": "此链接已过期",
        "page.expired.text": "请重新订阅，以获取新的确认邮件。",
    },
    "zh-TW": {
        "confirm.subject": "請確認訂閱 {site} 的服務狀態通知",
        "confirm.text": (
            "有人（希望是您本人）申請將 {site} 的服務狀態通知寄送到此信箱（{scope}）。\n\n"
            "請在 {hours} 小時內開啟以下連結確認：\n{link}\n\n"
            "如果不是您本人操作，請忽略本郵件，我們不會再寄送任何郵件。"
        ),
        "scope.all": "全部服務",
        "scope.some": "以下服務：{names}",
        "notice.subject": "【{state}】{title}",
        "notice.affected": "受影響的服務：{components}",
        "notice.status_page": "服務狀態頁：{url}",
        "link.status_page": "服務狀態頁",
        "notice.footer": (
            "您收到本郵件，是因為您訂閱了 {site} 的服務狀態通知（{scope}）。取消訂閱：{link}"
        ),
        "notice.posted": "發布時間 {at}",
        "page.confirm": "確認訂閱",
        "page.confirm.button": "確認，寄送服務狀態通知給我",
        "page.confirmed": "訂閱已確認",
        "page.confirmed.text": "{site} 的服務狀態通知將寄送到 {address}。",
        "page.unsubscribe": "取消訂閱服務狀態通知",
        "page.unsubscribe.button": "取消訂閱 {address}",
        "page.unsubscribed": "已取消訂閱",
        "page.unsubscribed.text": "我們不會再寄送服務狀態通知到 {address}。",
        "page.invalid": "此連結無效",
        "page.expired": "此連結已過期",
        "page.expired.text": "請重新訂閱，以取得新的確認郵件。",
    },
}


def word(locale: str, key: str, fallback: str = "", **values: object) -> str:
    """The text ``key`` in ``locale`` (else English, else ``fallback``), filled in."""
    pattern = WORDS.get(locale, WORDS[DEFAULT_LOCALE]).get(key) or WORDS[DEFAULT_LOCALE].get(key)
    if pattern is None:
        return fallback
    return pattern.format(**values)
