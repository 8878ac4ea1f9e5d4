"""The report's headings and labels in zh-CN, zh-TW and en."""

from __future__ import annotations

# key: (zh-CN, zh-TW, en)
_LABELS: dict[str, tuple[str, str, str]] = {
    "title": ("事件复盘报告", "事件檢討報告", "Post-incident report"),
    "summary": ("概要", "概要", "Summary"),
    "playbook": ("预案", "預案", "Playbook"),
    "severity": ("级别", "級別", "Severity"),
    "status": ("状态", "狀態", "Status"),
    "trigger": ("触发方式", "觸發方式", "Trigger"),
    "triggered_by": ("触发者", "觸發者", "Triggered by"),
    "opened": ("开始时间", "開始時間", "Opened"),
    "closed": ("结束时间", "結束時間", "Closed"),
    "params": ("参数", "參數", "Params"),
    "times": ("响应用时", "回應用時", "Response times"),
    "to_acknowledge": ("确认用时", "確認用時", "Time to acknowledge"),
    "to_mitigate": ("缓解用时", "緩解用時", "Time to mitigate"),
    "to_resolve": ("解决用时", "解決用時", "Time to resolve"),
    "not_reached": ("未达到", "未達到", "not reached"),
    "links": ("关联事件", "關聯事件", "Linked incidents"),
    "parent": ("由此事件触发", "由此事件觸發", "Started by"),
    "child": ("触发了", "觸發了", "Started"),
    "paged": ("呼叫记录", "呼叫記錄", "Who was paged"),
    "policy": ("升级策略", "升級策略", "Policy"),
    "outcome": ("结果", "結果", "Outcome"),
    "person": ("人员", "人員", "Person"),
    "pager": ("方式", "方式", "Pager"),
    "answer": ("应答", "應答", "Answer"),
    "at": ("时间", "時間", "At"),
    "notices": ("状态公告", "狀態公告", "Notices"),
    "notice": ("公告", "公告", "Notice"),
    "audience": ("受众", "受眾", "Audience"),
    "version": ("版本", "版本", "Version"),
    "published": ("发布", "發佈", "Published"),
    "components": ("受影响组件", "受影響元件", "Affected components"),
    "customers": ("受影响客户", "受影響客戶", "Affected customers"),
    "customer": ("客户编号", "客戶編號", "Customer"),
    "channel": ("渠道", "管道", "Channel"),
    "contact": ("联系方式", "聯絡方式", "Contact"),
    "note": ("备注", "備註", "Note"),
    "follow_ups": ("后续跟进", "後續跟進", "Follow-ups"),
    "department": ("部门", "部門", "Department"),
    "timeline": ("时间线", "時間軸", "Timeline"),
    "actor": ("执行者", "執行者", "Actor"),
    "event": ("事件", "事件", "Event"),
    "more": ("另有 {n} 条未列出", "另有 {n} 筆未列出", "{n} more not shown"),
    "none": ("无", "無", "None"),
    "generated": ("生成于", "產生於", "Generated"),
}
_INDEX = {"zh-CN": 0, "zh-TW": 1, "en": 2}


def labels(locale: str) -> dict[str, str]:
    """Every label in ``locale`` (English for one surge does not know)."""
    index = _INDEX.get(locale, 2)
    return {key: texts[index] for key, texts in _LABELS.items()}
