"""What the audit log's codes say in words: actions (`story.publish`), object types (`newsroom.story`), ways in
(`web`) and recorded changes. The log keeps the codes (stable, searchable through the API); pages show these."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "auth.login": _("登录"),
    "auth.logout": _("退出登录"),
    "auth.login_failed": _("登录失败"),
    "user.create": _("新建账号"),
    "user.role_change": _("分配角色"),
    "user.role_refused": _("拒绝分配角色"),
    "user.break_glass_granted": _("设为应急超级用户"),
    "auth.break_glass": _("应急超级用户登录"),
    "audit.export": _("导出审计日志"),
    "audit.verify": _("校验审计哈希链"),
    "audit.purge": _("清理过期审计日志"),
    "token.create": _("签发接口令牌"),
    "token.revoke": _("吊销接口令牌"),
    "admin.add": _("后台新增"),
    "admin.change": _("后台修改"),
    "admin.delete": _("后台删除"),
    "admin.password_change": _("后台重设密码"),
    "auth.login_refused": _("拒绝登录"),
    "auth.locked_out": _("登录被锁定"),
    "auth.token_failed": _("接口令牌错误"),
    "auth.2fa_enrolled": _("设置两步验证"),
    "auth.2fa_verified": _("两步验证通过"),
    "auth.2fa_failed": _("两步验证失败"),
    "auth.2fa_recovery_used": _("使用恢复码登录"),
    "auth.2fa_recovery_regenerated": _("重新生成恢复码"),
    "auth.2fa_reset": _("管理员重置两步验证"),
    "auth.2fa_removed": _("停用两步验证"),
    "auth.password_change": _("修改本人密码"),
    "auth.session_timeout": _("会话超时退出"),
    "user.disabled_dormant": _("长期未登录，停用账号"),
    "user.enabled": _("重新启用账号"),
    "alert.refused": _("拒收预警"),
    "alert.policy_saved": _("保存发布策略"),
    "alert.policy_deleted": _("删除发布策略"),
    "alert.coverage_saved": _("保存渠道覆盖"),
    "alert.certificate_added": _("登记发送方证书"),
    "alert.certificate_removed": _("删除发送方证书"),
    "alert.sender_bound": _("绑定发送方标识"),
    "alert.sender_unbound": _("解除发送方标识"),
    "ical.rotate": _("重新生成日程订阅地址"),
    "datakey.rotate": _("更换数据加密密钥"),
    "review.own_story": _("审核本人稿件"),
    "demo.load": _("载入演示数据"),
    "story.create": _("新建稿件"),
    "story.update": _("修改稿件"),
    "story.restore": _("恢复旧版本"),
    "story.submit": _("稿件送审"),
    "story.return": _("稿件退回修改"),
    "story.approve": _("稿件审核通过"),
    "story.reject": _("稿件不予采用"),
    "story.publish": _("稿件发布"),
    "story.withdraw": _("稿件撤回"),
    "story.export": _("导出稿件"),
    "story.flag": _("标记稿件问题"),
    "story.flag_resolved": _("处理稿件问题标记"),
    "asset.upload": _("上传素材"),
    "asset.delete": _("删除素材"),
    "search.reindex_requested": _("申请重建索引"),
    "search.reindexed": _("重建索引完成"),
    "review.submit": _("送审"),
    "review.approve": _("审核通过"),
    "review.changes": _("退回修改"),
    "review.reject": _("审核不通过"),
    "review.claim": _("认领审核"),
    "review.comment": _("审核意见"),
    "review.same_person": _("同一人连续审核"),
    "review.step_restarted": _("审核步骤重新开始"),
    "review.restarted": _("稿件修改后重新审核"),
    "proofread.override": _("忽略校对提示"),
    "rules.add": _("新增校对规则"),
    "rules.change": _("修改校对规则"),
    "rules.delete": _("删除校对规则"),
    "rules.import": _("导入校对规则"),
    "roster.import": _("导入领导名录"),
    "channel.create": _("新建发布渠道"),
    "channel.update": _("修改发布渠道"),
    "channel.pause": _("暂停渠道"),
    "channel.resume": _("恢复渠道"),
    "channel.paused": _("渠道连续失败后自动暂停"),
    "publication.prepare": _("生成各渠道版本"),
    "publication.release": _("确认发布"),
    "publication.withdraw": _("撤回发布"),
    "publication.discard": _("放弃未发出的发布"),
    "rendition.edit": _("修改渠道版本"),
    "delivery.cancel": _("取消投递"),
    "delivery.retry": _("重试投递"),
    "journal.issue": _("刊物组版"),
    "alert.received": _("接收预警"),
    "alert.held": _("预警暂缓"),
    "alert.awaiting_confirmation": _("预警待值班员确认"),
    "alert.auto_release": _("预警按策略自动发布"),
    "alert.confirmed": _("确认发布预警"),
    "alert.rejected": _("决定不发布预警"),
    "alert.released": _("预警已发布"),
    "alert.escalated": _("预警超时未确认，已升级"),
    "alert.cancelled": _("预警已解除"),
    "alert.expired": _("预警已过期"),
    "alert.superseded": _("预警已被更新"),
    "alert.paged": _("呼叫值班人员"),
    "alert.page_sent": _("呼叫已送达网关"),
    "alert.page_failed": _("呼叫发送失败"),
    "alert.page_acknowledged": _("值班人员已应答呼叫"),
    "alert.page_nobody": _("无人值班，未能呼叫"),
    "alert.drill": _("发起预警演练"),
    "duty.shift_saved": _("保存值班班次"),
    "duty.shift_deleted": _("删除值班班次"),
    "duty.contact_saved": _("保存值班联系方式"),
    "duty.route_saved": _("保存呼叫通道"),
    "duty.route_deleted": _("删除呼叫通道"),
    "duty.route_tested": _("测试呼叫通道"),
    "lane.health_paged": _("预警通道异常，已呼叫值班"),
    "lane.health_recovered": _("预警通道已恢复"),
    "partner.save": _("保存合作方"),
    "partner.archive": _("归档合作方"),
    "partner.contact": _("保存联系人"),
    "agreement.save": _("保存合作协议"),
    "commitment.save": _("保存合作承诺"),
    "commitment.archive": _("归档合作承诺"),
    "meeting.save": _("保存联络记录"),
    "action.save": _("保存待办事项"),
    "action.state": _("更新待办事项状态"),
    "request.submit": _("提交宣传需求"),
    "request.accept": _("受理宣传需求"),
    "request.decline": _("婉拒宣传需求"),
    "request.withdraw": _("撤回宣传需求"),
    "keydate.save": _("保存关键日期"),
    "campaign.save": _("保存策划专题"),
    "topic.propose": _("报选题"),
    "topic.save": _("保存选题"),
    "topic.move": _("选题流转"),
    "topic.from_request": _("由宣传需求生成选题"),
    "assignment.save": _("保存任务分派"),
    "assignment.state": _("更新任务状态"),
    "event.save": _("保存活动"),
    "event.task": _("保存活动分工"),
    "event.task_done": _("活动分工完成"),
    "analytics.group": _("保存排名分组"),
    "analytics.account": _("保存统计账号"),
    "analytics.manual": _("手工录入传播数据"),
    "metrics.import": _("导入传播数据"),
    "report.request": _("生成合作报告"),
    "report.scheduled": _("定时发送合作报告"),
    "live.anchor": _("保存主播"),
    "live.qualification": _("保存主播资质"),
    "live.product": _("保存商品"),
    "live.document": _("添加商品资质文件"),
    "live.session": _("保存直播场次"),
    "live.sign_off": _("直播合规签发"),
    "live.status": _("直播状态变更"),
    "live.session_delete": _("删除直播场次"),
    "live.result": _("录入直播结果"),
}
# The part before the dot: what the action is about (the audit page filters by it).
GROUPS = {
    "auth": _("登录"),
    "user": _("账号"),
    "audit": _("审计日志"),
    "token": _("接口令牌"),
    "admin": _("系统管理"),
    "demo": _("演示数据"),
    "story": _("稿件"),
    "asset": _("素材"),
    "search": _("搜索索引"),
    "review": _("审核"),
    "proofread": _("校对"),
    "rules": _("校对规则"),
    "roster": _("领导名录"),
    "channel": _("发布渠道"),
    "publication": _("发布"),
    "rendition": _("渠道版本"),
    "delivery": _("投递"),
    "journal": _("刊物"),
    "alert": _("预警"),
    "partner": _("合作方"),
    "agreement": _("合作协议"),
    "commitment": _("合作承诺"),
    "meeting": _("联络记录"),
    "action": _("待办事项"),
    "request": _("宣传需求"),
    "keydate": _("关键日期"),
    "campaign": _("策划专题"),
    "topic": _("选题"),
    "assignment": _("任务分派"),
    "event": _("活动"),
    "analytics": _("传播效果"),
    "metrics": _("传播数据"),
    "report": _("合作报告"),
    "live": _("直播带货"),
    "ical": _("日历订阅"),
    "datakey": _("数据密钥"),
    "duty": _("值班呼叫"),
    "lane": _("预警通道"),
}
# `<model>.delete` and the like, written by the generic record helpers: the object column names the model.
VERBS = {
    "delete": _("删除"),
    "save": _("保存"),
    "create": _("新建"),
    "update": _("修改"),
    "archive": _("归档"),
}
# Models whose own name is not (yet) translated.
OBJECT_TYPES = {
    "partners.requestattachment": _("需求附件"),
    "publishing.deliveryattempt": _("投递尝试"),
    "publishing.journalarticle": _("刊物文章"),
    "review.stepcomment": _("审核意见"),
    "review.proofreadreport": _("校对报告"),
    "review.findingoverride": _("忽略的校对提示"),
    "review.proofrulechange": _("校对规则修改记录"),
    "review.storyflag": _("稿件问题标记"),
    "live.sessionhost": _("场次主播"),
    "live.sessionproduct": _("场次商品"),
    "analytics.metricsample": _("文章数据"),
    "analytics.accountsample": _("账号数据"),
    "analytics.accountday": _("账号日数据"),
}
WAYS_IN = {
    "web": _("网页"),
    "api": _("接口"),
    "cli": _("命令行"),
    "demo": _("演示数据"),
    "schedule": _("定时任务"),
    "system": _("系统"),
    "task": _("后台任务"),
    "alert-policy": _("预警发布策略"),
}
# Keys of change records that are not model fields.
KEYS = {
    "fields": _("字段"),
    "filters": _("筛选条件"),
    "run": _("审核轮次"),
    "old_run": _("原审核轮次"),
    "revision": _("版本"),
    "version": _("版本"),
    "step": _("审核步骤"),
    "reason": _("原因"),
    "comment": _("意见"),
    "note": _("备注"),
    "policy": _("发布策略"),
    "file": _("文件"),
    "rules": _("规则数"),
    "people": _("人数"),
    "task": _("任务"),
    "stories": _("稿件数"),
    "story": _("稿件"),
    "flag": _("标记"),
    "finding": _("校对提示"),
    "channel": _("渠道"),
    "channels": _("渠道"),
    "articles": _("文章数"),
    "pages": _("页数"),
    "period": _("周期"),
    "from": _("起"),
    "to": _("至"),
    "user": _("用户"),
    "role": _("角色"),
    "partner": _("合作方"),
    "kind": _("类型"),
    "transmitter": _("发送方式"),
    "after_seconds": _("等待秒数"),
    "format": _("格式"),
    "warnings": _("提示"),
    "result": _("结果"),
    "figures": _("数据"),
    "observed_on": _("统计日期"),
    "request": _("宣传需求"),
    "sha256": "SHA-256",
    "tag": _("标签"),
    "q": _("关键词"),
    "left": _("剩余恢复码"),
    "codes": _("恢复码数"),
    "throttled": _("尝试过频"),
    "expired": _("密码已过期"),
    "idle_minutes": _("空闲超时（分钟）"),
    "max_hours": _("会话上限（小时）"),
    "last_login": _("上次登录"),
    "days": _("天数"),
    "upto_seq": _("清理至链序号"),
    "anchor": _("锚点哈希"),
    "deleted": _("清理条数"),
    "before": _("清理此前的记录"),
    "count": _("条数"),
    "path": _("地址"),
    "at": _("时间"),
    "old": _("原值"),
    "new": _("新值"),
    "subject": _("证书主体"),
    "fingerprint": _("证书指纹"),
    "not_after": _("有效期至"),
    "senders": _("发送方标识"),
    "allowed": _("可用的发送方标识"),
    "code": _("代码"),
}


PAIRS = {"version"}  # non-field keys recorded as [old, new]


def action_label(code: str) -> str:
    if code in ACTIONS:
        return str(ACTIONS[code])
    verb = code.rpartition(".")[2]
    return str(VERBS[verb]) if verb in VERBS else code


def action_choices() -> list:
    """For a select: each group (its prefix: all its actions), then its actions, by label."""
    grouped: dict[str, list[tuple[str, str]]] = {prefix: [] for prefix in GROUPS}
    for code, label in ACTIONS.items():
        grouped.setdefault(code.partition(".")[0], []).append((code, str(label)))
    return [
        (str(GROUPS.get(prefix, prefix)),
         [(prefix, gettext("%(g)s：全部操作") % {"g": GROUPS.get(prefix, prefix)}), *sorted(codes, key=lambda c: c[1])])
        for prefix, codes in grouped.items()
        if codes
    ]  # fmt: skip


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    if object_type in OBJECT_TYPES:
        return str(OBJECT_TYPES[object_type])
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def way_in_label(via: str) -> str:
    return str(WAYS_IN.get(via, via))


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None  # not a reverse relation


def _value(value: Any, field: models.Field | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    choices = dict(field.flatchoices) if field is not None and getattr(field, "flatchoices", None) else {}
    if isinstance(value, str | int) and value in choices:
        return str(choices[value])
    if isinstance(value, list):
        return "、".join(_value(item, field) for item in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _line(model: type[models.Model] | None, key: str, value: Any) -> tuple[str, str]:
    field = _field(model, key)
    label = str(field.verbose_name) if field is not None else str(KEYS.get(key, key))
    if key == "fields" and isinstance(value, list):
        text = "、".join(str(f.verbose_name) if (f := _field(model, name)) else str(name) for name in value)
    elif isinstance(value, list) and len(value) == 2 and (field is not None or key in PAIRS):
        text = f"{_value(value[0], field)} → {_value(value[1], field)}"
    elif isinstance(value, dict) and value:  # e.g. the filters of an export, read with the same model
        text = "，".join("：".join(_line(model, str(k), v)) for k, v in value.items())
    else:
        text = _value(value, field)
    return label, text


def changes_lines(object_type: str, changes: dict | None) -> list[tuple[str, str]]:
    """(label, value) pairs: model fields by their names and choices, `[old, new]` pairs as `old → new`."""
    model = _model(object_type)
    return [_line(model, key, value) for key, value in (changes or {}).items()]
