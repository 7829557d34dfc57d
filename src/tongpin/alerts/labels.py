"""Readable names for CAP's coded values (msgType, status, scope, severity, urgency, certainty, category,
responseType), for pages only: the CAP XML and the API keep the codes. Lazy, so each reader gets their language.

The Chinese follows the station's own words where the pages already had them (新发布/更新/解除, 正式/演练/测试)
and the national four-level scale for severity (特别严重/严重/较重/一般 — red, orange, yellow, blue).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MSG_TYPE = {
    "Alert": _("新发布"),
    "Update": _("更新"),
    "Cancel": _("解除"),
    "Ack": _("回执"),
    "Error": _("错误通知"),
}
STATUS = {
    "Actual": _("正式"),
    "Exercise": _("演练"),
    "System": _("系统消息"),
    "Test": _("测试"),
    "Draft": _("草稿"),
}
SCOPE = {
    "Public": _("公开"),
    "Restricted": _("限定范围"),
    "Private": _("指定对象"),
}
SEVERITY = {
    "Extreme": _("特别严重"),
    "Severe": _("严重"),
    "Moderate": _("较重"),
    "Minor": _("一般"),
    "Unknown": _("严重程度未知"),
}
URGENCY = {
    "Immediate": _("立即行动"),
    "Expected": _("1 小时内行动"),
    "Future": _("近期行动"),
    "Past": _("已无需行动"),
    "Unknown": _("紧急程度未知"),
}
CERTAINTY = {
    "Observed": _("已发生"),
    "Likely": _("很可能"),
    "Possible": _("有可能"),
    "Unlikely": _("不太可能"),
    "Unknown": _("可能性未知"),
}
CATEGORY = {
    "Met": _("气象"),
    "Geo": _("地质"),
    "Safety": _("公共安全"),
    "Security": _("社会安全"),
    "Rescue": _("救援"),
    "Fire": _("火灾"),
    "Health": _("卫生健康"),
    "Env": _("环境"),
    "Transport": _("交通"),
    "Infra": _("基础设施"),
    "CBRNE": _("化学生物放射核爆炸"),
    "Other": _("其他类别"),
}
RESPONSE_TYPE = {
    "Shelter": _("就地避险"),
    "Evacuate": _("撤离"),
    "Prepare": _("做好准备"),
    "Execute": _("按预案行动"),
    "Avoid": _("避开"),
    "Monitor": _("留意动态"),
    "Assess": _("评估"),
    "AllClear": _("解除警戒"),
    "None": _("无需行动"),
}
SOURCE_FORMAT = {
    "cap1.2": "CAP 1.2",
    "cap1.1": "CAP 1.1",
    "12379": _("国家预警发布系统（12379）"),
}

FIELDS: dict[str, dict[str, str | Promise]] = {
    "msg_type": MSG_TYPE,
    "status": STATUS,
    "scope": SCOPE,
    "severity": SEVERITY,
    "urgency": URGENCY,
    "certainty": CERTAINTY,
    "category": CATEGORY,
    "response_type": RESPONSE_TYPE,
    "source_format": SOURCE_FORMAT,
}

# What each audited step of an alert's life reads as on its page (action names from intake.py and release.py).
ACTIONS = {
    "alert.received": _("收到"),
    "alert.auto_release": _("按发布策略自动发布"),
    "alert.awaiting_confirmation": _("等待值班员确认"),
    "alert.confirmed": _("确认发布预警"),  # by the duty officer or the shift: who is shown beside it
    "alert.rejected": _("决定不发布预警"),
    "alert.released": _("已发布"),
    "alert.held": _("不对外发布"),
    "alert.superseded": _("被更新取代"),
    "alert.cancelled": _("已解除"),
    "alert.expired": _("已过期"),
    "alert.escalated": _("超时未确认，已升级通知"),
    "alert.paged": _("呼叫值班人员"),
    "alert.page_sent": _("呼叫已送达网关"),
    "alert.page_failed": _("呼叫发送失败"),
    "alert.page_acknowledged": _("值班人员已应答呼叫"),
    "alert.page_nobody": _("无人值班，未能呼叫"),
    "alert.drill": _("发起预警演练"),
}


def label(field: str, value: str) -> str | Promise:
    """The readable name of a CAP code; an unknown code (or field) is shown as it came."""
    return FIELDS.get(field, {}).get(value, value)


def choices(field: str) -> list[tuple[str, str | Promise]]:
    """(code, name) pairs for a form's select, in the specification's order."""
    return list(FIELDS[field].items())


def action_label(action: str) -> str | Promise:
    from tongpin.core.auditlabels import action_label as audit_label

    return ACTIONS.get(action) or audit_label(action)
