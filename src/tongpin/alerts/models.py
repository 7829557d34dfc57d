"""Warnings (预警信息): alerts as received, how they chain, who may release them, where channels reach."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.publishing.models import Channel, Publication


class Level(models.TextChoices):
    RED = "red", _("红色")
    ORANGE = "orange", _("橙色")
    YELLOW = "yellow", _("黄色")
    BLUE = "blue", _("蓝色")


LEVEL_RANK = {"red": 4, "orange": 3, "yellow": 2, "blue": 1, "": 0}


class AlertState(models.TextChoices):
    RECEIVED = "received", _("已接收")
    PENDING = "pending", _("待确认")
    RELEASED = "released", _("已发布")
    REJECTED = "rejected", _("未发布")
    SUPERSEDED = "superseded", _("已更新")
    CANCELLED = "cancelled", _("已解除")
    EXPIRED = "expired", _("已过期")
    HELD = "held", _("不对外发布")


class SignatureState(models.TextChoices):
    UNSIGNED = "unsigned", _("未签名")
    VALID = "valid", _("签名有效")
    UNTRUSTED = "untrusted", _("签名完整，签发者未登记")
    INVALID = "invalid", _("签名无效")


class Alert(models.Model):
    """One CAP message as received; its fields are the chosen (Chinese, where there is one) info block."""

    identifier = models.CharField(_("标识"), max_length=200)
    sender = models.CharField(_("发送方"), max_length=200)
    sent = models.CharField(max_length=40)
    sent_at = models.DateTimeField(_("发送时间"), null=True)
    msg_type = models.CharField(_("类型"), max_length=10)
    status = models.CharField(_("性质"), max_length=10)
    scope = models.CharField(max_length=12)
    source_format = models.CharField(_("格式"), max_length=10)
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices, blank=True)
    severity = models.CharField(max_length=10, blank=True)
    urgency = models.CharField(max_length=10, blank=True)
    certainty = models.CharField(max_length=10, blank=True)
    event = models.CharField(_("事件"), max_length=200, blank=True)
    headline = models.CharField(_("标题"), max_length=300, blank=True)
    description = models.TextField(_("描述"), blank=True)
    instruction = models.TextField(_("防御指南"), blank=True)
    sender_name = models.CharField(_("发布单位"), max_length=200, blank=True)
    language = models.CharField(max_length=20, blank=True)
    area_desc = models.TextField(_("影响区域"), blank=True)
    geocodes = models.JSONField(default=list, blank=True)
    polygons = models.JSONField(default=list, blank=True)
    channel_texts = models.JSONField(default=dict, blank=True)  # 12379 per-channel texts (SMS, SPEAKER, WEB)
    effective_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    references = models.JSONField(default=list, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followers", verbose_name=_("前序")
    )
    cap_xml = models.TextField()
    sha256 = models.CharField(max_length=64)
    validation = models.JSONField(default=dict)
    signature = models.CharField(
        _("签名"), max_length=10, choices=SignatureState.choices, default=SignatureState.UNSIGNED
    )
    signature_detail = models.CharField(max_length=300, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=AlertState.choices, default=AlertState.RECEIVED, db_index=True
    )
    publication = models.ForeignKey(Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)
    released_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    # Why it waits for a duty officer when the sender's trust, not the release policy, held it (signatures).
    hold_reason = models.CharField(_("待确认原因"), max_length=300, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalate_after = models.PositiveIntegerField(default=0)  # seconds, from the policy that asked for confirmation
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "identifier", "sent"], name="one_alert_per_cap_message")
        ]
        indexes = [models.Index(fields=["sender", "identifier"])]
        verbose_name = _("预警信息")
        verbose_name_plural = _("预警信息")

    def __str__(self) -> str:
        return self.headline or self.event or self.identifier

    @property
    def public(self) -> bool:
        return self.status == "Actual"

    @property
    def open_to_everyone(self) -> bool:
        """Scope Public: Restricted and Private alerts go only to channels marked for them and to staff."""
        return self.scope == "Public"


class PolicyAction(models.TextChoices):
    AUTO = "auto", _("自动发布")
    CONFIRM = "confirm", _("值班员确认")


class ReleasePolicy(models.Model):
    """Which warnings go out by themselves and which wait for a duty officer; first match in `position` order."""

    name = models.CharField(_("名称"), max_length=80)
    sender = models.CharField(_("发送方"), max_length=200, default="*", help_text=_("发送方标识；* 表示任何发送方"))
    min_level = models.CharField(_("最低级别"), max_length=8, choices=Level.choices, default=Level.BLUE)
    urgencies = models.JSONField(_("紧急程度"), default=list, blank=True)  # empty: any
    action = models.CharField(_("处理"), max_length=8, choices=PolicyAction.choices, default=PolicyAction.CONFIRM)
    escalate_after = models.PositiveIntegerField(_("超时升级（秒）"), default=300)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("发布策略")
        verbose_name_plural = _("发布策略")

    def __str__(self) -> str:
        return self.name


class Coverage(models.Model):
    """Where a channel reaches and which warning levels it carries (the station's presentation policy)."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="coverage")
    area_codes = models.JSONField(_("覆盖区划代码"), default=list, blank=True)
    polygons = models.JSONField(_("覆盖多边形"), default=list, blank=True)
    everywhere = models.BooleanField(_("全域覆盖"), default=False)
    min_level = models.CharField(_("最低播发级别"), max_length=8, choices=Level.choices, default=Level.BLUE)
    accepts_restricted = models.BooleanField(
        _("接收限定/私有预警"),
        default=False,
        help_text=_("仅限内部渠道（如指挥部短信群）：发布范围为“限定范围”或“指定对象”的预警只发往勾选此项的渠道。"),
    )

    class Meta:
        verbose_name = _("渠道覆盖")
        verbose_name_plural = _("渠道覆盖")

    def __str__(self) -> str:
        return str(self.channel)


class SenderCertificate(models.Model):
    """A sender's X.509 certificate (PEM): signed alerts from that sender are verified against it."""

    sender = models.CharField(_("发送方"), max_length=200, db_index=True)
    pem = models.TextField(_("证书（PEM）"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("发送方证书")
        verbose_name_plural = _("发送方证书")

    def __str__(self) -> str:
        return self.sender


class SenderIdentity(models.Model):
    """A CAP `<sender>` an account may submit as (bound by an admin). A sender account's messages naming any
    other sender are refused, so one agency's account can neither speak for nor cancel another's warnings."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sender_identities",
        limit_choices_to={"role": "alert_sender"},
        verbose_name=_("接口账号"),
    )
    sender = models.CharField(_("发送方标识"), max_length=200, db_index=True, help_text=_("CAP 消息中的 <sender>"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__username", "sender"]
        constraints = [models.UniqueConstraint(fields=["user", "sender"], name="one_binding_per_sender")]
        verbose_name = _("发送方绑定")
        verbose_name_plural = _("发送方绑定")

    def __str__(self) -> str:
        return f"{self.user} → {self.sender}"


# -- waking the duty officer (issue 16): rosters, paging routes, pages, the lane's own health -----------------


class DutyShift(models.Model):
    """Who is on duty from `starts_at` to `ends_at`: the officer paged first, the backup when the officer does
    not answer, and the shift's chief (带班领导) last. Shifts may overlap (a handover): all officers on duty are
    paged."""

    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"), db_index=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="duty_shifts", verbose_name=_("值班员")
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="backup_shifts",
        verbose_name=_("备班"),
    )
    chief = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chief_shifts",
        verbose_name=_("带班领导"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("值班班次")
        verbose_name_plural = _("值班班次")

    def __str__(self) -> str:
        return f"{self.officer} {self.starts_at:%Y-%m-%d %H:%M}"


class DutyContact(models.Model):
    """How a person on the roster is reached: a mobile number (SMS and voice gateways; @ in group robots)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_contact", verbose_name=_("人员")
    )
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("值班联系方式")
        verbose_name_plural = _("值班联系方式")

    def __str__(self) -> str:
        return f"{self.user} {self.mobile}"


class RouteKind(models.TextChoices):
    SMS = "sms", _("短信网关")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    VOICE = "voice", _("语音呼叫网关")


PAGING_SECRET_CONTEXT = "paging-route-secret"  # noqa: S105 (a label bound into the seal, not a secret)


class PagingRoute(models.Model):
    """One way to reach the duty desk. The secret (gateway token, 钉钉 signing secret) is never shown again."""

    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=10, choices=RouteKind.choices)
    url = models.URLField(_("接口地址"), max_length=500)
    # Stored sealed with the data key (core/datakey.py; `save()` seals it) and opened only to page: `opened_secret`.
    secret = models.CharField(_("密钥"), max_length=600, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # health, written by the sender: the console and the status page show a route that is down
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("呼叫通道")
        verbose_name_plural = _("呼叫通道")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        from tongpin.core import datakey

        if self.secret:
            self.secret = datakey.seal(self.secret, PAGING_SECRET_CONTEXT)
        super().save(*args, **kwargs)

    @property
    def opened_secret(self) -> str:
        """The secret in plaintext: for the sender only (never shown, never logged)."""
        from tongpin.core import datakey

        return datakey.unseal(self.secret, PAGING_SECRET_CONTEXT) if self.secret else ""

    @property
    def down(self) -> bool:
        """Its latest attempt failed."""
        return self.last_error_at is not None and (self.last_ok_at is None or self.last_ok_at < self.last_error_at)


class CallStep(models.TextChoices):
    OFFICER = "officer", _("值班员")
    BACKUP = "backup", _("备班")
    CHIEF = "chief", _("带班领导")
    HEALTH = "health", _("通道告警")


class DutyCall(models.Model):
    """One person called about one alert (or about the lane's health), with the one-time confirm link."""

    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="duty_calls")
    step = models.CharField(_("环节"), max_length=10, choices=CallStep.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")  # fmt: skip
    text = models.CharField(max_length=500)
    nonce = models.CharField(max_length=40, unique=True)
    called_at = models.DateTimeField(default=timezone.now)
    link_used_at = models.DateTimeField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["called_at", "id"]
        verbose_name = _("值班呼叫")
        verbose_name_plural = _("值班呼叫")

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.user or ''} {self.called_at:%Y-%m-%d %H:%M:%S}"


class PageState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    RETRYING = "retrying", _("等待重试")
    FAILED = "failed", _("失败")


class PageSend(models.Model):
    """One call sent over one route, retried with backoff."""

    call = models.ForeignKey(DutyCall, on_delete=models.CASCADE, related_name="sends")
    route = models.ForeignKey(PagingRoute, on_delete=models.CASCADE, related_name="sends")
    state = models.CharField(max_length=10, choices=PageState.choices, default=PageState.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("呼叫发送")
        verbose_name_plural = _("呼叫发送")

    def __str__(self) -> str:
        return f"{self.route} {self.get_state_display()}"


class LaneCondition(models.Model):
    """A health condition of the warning lane that paged (no worker, a stuck priority delivery, a paused channel):
    paged again at most once per TONGPIN_LANE_PAGE_EVERY while it lasts; a recovery message when it clears."""

    key = models.CharField(max_length=120, unique=True)
    text = models.CharField(max_length=300)
    since = models.DateTimeField(default=timezone.now)
    paged_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通道告警")
        verbose_name_plural = _("通道告警")

    def __str__(self) -> str:
        return self.text
