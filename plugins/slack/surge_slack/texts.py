"""What surge itself writes in Slack (buttons, labels, replies), in zh-CN, zh-TW and en.

Messages to customers and agents come only from approved scripts; these are the few
words around them. Values are filled in with ``str.format`` as data, never as templates.
"""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, tuple[str, str, str]] = {  # key: (zh-CN, zh-TW, en)
    "ack": ("确认", "確認", "Acknowledge"),
    "escalate": ("升级", "升級", "Escalate"),
    "resolve": ("解决", "解決", "Resolve"),
    "confirm_resolve": ("确认解决此事件？", "確認解決此事件？", "Resolve this incident?"),
    "confirm_resolve_text": (
        "预案的收尾步骤会随即运行。",
        "預案的收尾步驟會隨即執行。",
        "The playbook's on_resolve steps run next.",
    ),
    "cancel": ("取消", "取消", "Cancel"),
    "status": ("状态", "狀態", "Status"),
    "severity": ("级别", "級別", "Severity"),
    "incident": ("事件", "事件", "Incident"),
    "hotline": ("临时热线", "臨時熱線", "Hotline"),
    "latest": ("最新进展", "最新進展", "Latest"),
    "script": ("统一口径", "統一口徑", "Agreed script"),
    "triggered": ("已触发", "已觸發", "triggered"),
    "acknowledged": ("已确认", "已確認", "acknowledged"),
    "mitigated": ("已缓解", "已緩解", "mitigated"),
    "resolved": ("已解决", "已解決", "resolved"),
    "cancelled": ("已取消", "已取消", "cancelled"),
    "done_ack": ("事件 #{id} 已确认。", "事件 #{id} 已確認。", "Incident #{id} acknowledged."),
    "done_resolve": ("事件 #{id} 已解决。", "事件 #{id} 已解決。", "Incident #{id} resolved."),
    "done_escalate": (
        "事件 #{id} 已升级：不再等待确认，预案的升级步骤现在运行。",
        "事件 #{id} 已升級：不再等待確認，預案的升級步驟現在執行。",
        "Incident #{id} escalated: surge stops waiting for an acknowledgement and runs the "
        "playbook's escalation now.",
    ),
    "escalate_idle": (
        "事件 #{id}：没有等待确认的步骤，无需升级。",
        "事件 #{id}：沒有等待確認的步驟，無需升級。",
        "Incident #{id}: no step is waiting for an acknowledgement, so there is nothing to "
        "escalate.",
    ),
    "opened": (
        "已创建事件 #{id}：{title}",
        "已建立事件 #{id}：{title}",
        "Opened incident #{id}: {title}",
    ),
    "unknown_user": (
        "surge 不认识您的 Slack 用户 {user}，请管理员在 plugins.slack.users 中添加。",
        "surge 不認識您的 Slack 使用者 {user}，請管理員在 plugins.slack.users 中新增。",
        "surge does not know your Slack user {user}; ask an admin to add it under "
        "plugins.slack.users.",
    ),
    "no_role": (
        "您的角色 {role} 不能{what}，需要：{needs}。",
        "您的角色 {role} 不能{what}，需要：{needs}。",
        "Your role {role} may not {what}; that needs: {needs}.",
    ),
    "cannot": ("事件 #{id}：{reason}", "事件 #{id}：{reason}", "Incident #{id}: {reason}"),
    "no_incident": ("没有事件 #{id}。", "沒有事件 #{id}。", "There is no incident #{id}."),
    "none_open": ("当前没有未结束的事件。", "目前沒有未結束的事件。", "No incident is open."),
    "unknown_command": (
        "不认识的命令 {word}。试试 /surge help。",
        "不認識的指令 {word}。試試 /surge help。",
        "Unknown command {word}. Try /surge help.",
    ),
    "no_playbook": (
        "没有预案 {id}。已有：{known}",
        "沒有預案 {id}。已有：{known}",
        "No playbook {id}. Known: {known}",
    ),
    "bad_params": ("参数有误：{problems}", "參數有誤：{problems}", "Wrong params: {problems}"),
    "busy": (
        "此分组已有未结束的事件 #{id}。",
        "此分組已有未結束的事件 #{id}。",
        "Incident #{id} is already open for this group.",
    ),
    "usage_trigger": (
        "用法：/surge trigger 预案 参数=值 …",
        "用法：/surge trigger 預案 參數=值 …",
        "Usage: /surge trigger PLAYBOOK key=value …",
    ),
    "what_trigger": ("触发 {id}", "觸發 {id}", "trigger {id}"),
    "what_ack": ("确认事件", "確認事件", "acknowledge incidents"),
    "what_escalate": ("升级事件", "升級事件", "escalate incidents"),
    "what_resolve": ("解决事件", "解決事件", "resolve incidents"),
    "help": (
        "/surge trigger 预案 参数=值 … 触发预案\n"
        "/surge status 查看未结束的事件\n/surge who [团队] 查看当前值班\n/surge help 显示本帮助",
        "/surge trigger 預案 參數=值 … 觸發預案\n"
        "/surge status 查看未結束的事件\n/surge who [團隊] 查看目前值班\n/surge help 顯示本說明",
        "/surge trigger PLAYBOOK key=value … starts a playbook\n"
        "/surge status lists the open incidents\n/surge who [TEAM] shows who is on call\n"
        "/surge help shows this",
    ),
    "paged": ("呼叫", "呼叫", "page"),
    "notice": ("公告", "公告", "Notice"),
    "approve": ("批准发布", "批准發布", "Approve"),
    "confirm_publish": ("发布此公告？", "發布此公告？", "Publish this notice?"),
    "confirm_publish_text": (
        "它会出现在状态页，并发给订阅者。",
        "它會出現在狀態頁，並發給訂閱者。",
        "It goes on the status page and to subscribers.",
    ),
    "notice_draft": (
        "{by} 起草，待有发布权限的人批准。",
        "{by} 起草，待有發布權限的人批准。",
        "Drafted by {by}; waiting for someone who may publish to approve it.",
    ),
    "notice_published": ("已由 {by} 发布。", "已由 {by} 發布。", "Published by {by}."),
    "done_publish": (
        "公告 #{id} 第 {number} 版已发布。",
        "公告 #{id} 第 {number} 版已發布。",
        "Notice #{id} version {number} published.",
    ),
    "no_notice": ("没有公告 {id}。", "沒有公告 {id}。", "There is no notice {id}."),
    "cannot_publish": (
        "公告 #{id}：{reason}",
        "公告 #{id}：{reason}",
        "Notice #{id}: {reason}",
    ),
    "what_publish": ("发布公告", "發布公告", "publish notices"),
    "investigating": ("调查中", "調查中", "investigating"),
    "identified": ("已查明", "已查明", "identified"),
    "monitoring": ("观察中", "觀察中", "monitoring"),
    "scheduled": ("已计划", "已計劃", "scheduled"),
    "in_progress": ("进行中", "進行中", "in progress"),
    "verifying": ("验证中", "驗證中", "verifying"),
    "completed": ("已完成", "已完成", "completed"),
    "operational": ("正常", "正常", "operational"),
    "degraded_performance": ("性能下降", "效能下降", "degraded performance"),
    "partial_outage": ("部分中断", "部分中斷", "partial outage"),
    "major_outage": ("严重中断", "嚴重中斷", "major outage"),
    "under_maintenance": ("维护中", "維護中", "under maintenance"),
    "needs_paged": (
        "responder，或被此事件呼叫",
        "responder，或被此事件呼叫",
        "responder, or to have been paged for it",
    ),
    "no_rota": (
        "没有配置值班表（配置中的 rota:）。",
        "沒有設定值班表（設定中的 rota:）。",
        "No rota is configured (rota: in the config).",
    ),
    "no_team": (
        "值班表中没有团队 {id}。已有：{known}",
        "值班表中沒有團隊 {id}。已有：{known}",
        "No team {id} in the rota. Known: {known}",
    ),
    "who_now": (
        "当前值班（{zone} {time}）：",
        "目前值班（{zone} {time}）：",
        "On call now ({zone} {time}):",
    ),
    "who_nobody": ("现在没有人当班。", "現在沒有人當班。", "Nobody is on shift now."),
    "who_standby": ("待命可用：", "待命可用：", "Standby, free: "),
    "who_leads": ("负责人：", "負責人：", "Leads: "),
}
_INDEX = {"zh-CN": 0, "zh-TW": 1, "en": 2}


def text(key: str, locale: str, **values: Any) -> str:
    """The text ``key`` in ``locale`` (English for a locale surge does not know)."""
    wording = _TEXTS[key][_INDEX.get(locale, 2)]
    return wording.format(**values) if values else wording
