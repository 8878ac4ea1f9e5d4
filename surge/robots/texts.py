"""The few words surge itself writes around a script in a chat group, in zh-CN, zh-TW
and en. What agents and customers read comes only from approved scripts."""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, tuple[str, str, str]] = {  # key: (zh-CN, zh-TW, en)
    "script": ("统一口径", "統一口徑", "Agreed script"),
    "incident": ("事件", "事件", "Incident"),
    "status": ("状态", "狀態", "Status"),
    "severity": ("级别", "級別", "Severity"),
    "hotline": ("临时热线", "臨時熱線", "Hotline"),
    "latest": ("最新进展", "最新進展", "Latest"),
    "part": ("（第 {n}/{total} 段）", "（第 {n}/{total} 段）", "(part {n} of {total})"),
    "update": (
        "更新第 {n} 条摘要（{at} 发出）",
        "更新第 {n} 則摘要（{at} 發出）",
        "Update to summary {n} (posted {at})",
    ),
    "summary": ("事件摘要", "事件摘要", "Incident summary"),
    "page": ("呼叫", "呼叫", "Page"),
    "join_title": ("邀请加入", "邀請加入", "Joining the room"),
    "join": (
        "{names}：已呼叫您处理此事件，请在本群协同。",
        "{names}：已呼叫您處理此事件，請在本群協同。",
        "{names}: you were paged for this incident; please work on it in this group.",
    ),
    "notice": ("状态通知", "狀態通知", "Status notice"),
    "notice_draft": (
        "草稿（第 {n} 版），待有发布权限的人审批",
        "草稿（第 {n} 版），待有發佈權限的人審批",
        "Draft (version {n}), waiting for someone who may publish it",
    ),
    "notice_update": (
        "通知更新：第 {n} 版，取代第 {before} 版",
        "通知更新：第 {n} 版，取代第 {before} 版",
        "Notice update: version {n}, replacing version {before}",
    ),
    "investigating": ("调查中", "調查中", "investigating"),
    "identified": ("已查明原因", "已查明原因", "identified"),
    "monitoring": ("观察中", "觀察中", "monitoring"),
    "scheduled": ("已计划", "已計劃", "scheduled"),
    "in_progress": ("进行中", "進行中", "in progress"),
    "verifying": ("验证中", "驗證中", "verifying"),
    "completed": ("已完成", "已完成", "completed"),
    "triggered": ("已触发", "已觸發", "triggered"),
    "acknowledged": ("已确认", "已確認", "acknowledged"),
    "mitigated": ("已缓解", "已緩解", "mitigated"),
    "resolved": ("已解决", "已解決", "resolved"),
    "cancelled": ("已取消", "已取消", "cancelled"),
}
_INDEX = {"zh-CN": 0, "zh-TW": 1, "en": 2}


def text(key: str, locale: str, **values: Any) -> str:
    """The text ``key`` in ``locale`` (English for a locale surge does not know); values
    are filled in as data with ``str.format``."""
    wording = _TEXTS[key][_INDEX.get(locale, 2)]
    return wording.format(**values) if values else wording
