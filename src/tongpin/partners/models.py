"""Partners (合作方) and the cooperation with them: agreements, commitments, liaison records, publicity requests.

Nothing here knows about planning, stories or channels; what a commitment counts is measured by whichever app
owns the records (see `measures.py`). Rows others point to are protected: deletion is refused, never cascaded.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Partner(models.Model):
    """A government body, zone administration or enterprise the station cooperates with."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("政府部门")
        ZONE = "zone", _("园区管委会")
        ENTERPRISE = "enterprise", _("企业")
        OTHER = "other", _("其他")

    slug = models.SlugField(_("标识"), unique=True, max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.GOVERNMENT)
    description = models.TextField(_("简介"), blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="owned_partners", verbose_name=_("台内负责人")
    )
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("合作方")
        verbose_name_plural = _("合作方")

    def __str__(self) -> str:
        return self.short_name or self.name


class Liaison(models.Model):
    """Ties a partner-liaison user to the one partner whose data they may see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="liaison")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="liaisons")
    title = models.CharField(_("职务"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("联络员")
        verbose_name_plural = _("联络员")

    def __str__(self) -> str:
        return f"{self.user} → {self.partner}"


class Contact(models.Model):
    """A working-level contact on the partner's side (who to call), with or without a login."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("合作方"))
    name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_primary = models.BooleanField(_("主要联络人"), default=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")

    def __str__(self) -> str:
        return self.name


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("草拟中")
    IN_FORCE = "in_force", _("生效中")
    EXPIRED = "expired", _("已到期")
    ENDED = "ended", _("已终止")


def _attachment_path(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"partners/{uuid.uuid4().hex}.{suffix}"


class Agreement(models.Model):
    """A strategic cooperation framework agreement (战略合作框架协议) with one partner, for a term."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("合作方"))
    title = models.CharField(_("协议名称"), max_length=200)
    number = models.CharField(_("协议编号"), max_length=64, blank=True)
    signed_on = models.DateField(_("签署日期"), null=True, blank=True)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("到期日期"))
    principles = models.TextField(_("合作原则"), blank=True)
    areas = models.JSONField(_("合作领域"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT)
    renewal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals", verbose_name=_("续签自")
    )
    attachment = models.FileField(_("协议扫描件"), upload_to=_attachment_path, max_length=200, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("合作协议")
        verbose_name_plural = _("合作协议")

    def __str__(self) -> str:
        return self.title

    def status_on(self, day: dt.date) -> str:
        """The stored status, except that an agreement in force past its end date reads as expired."""
        if self.status == AgreementStatus.IN_FORCE and day > self.ends_on:
            return AgreementStatus.EXPIRED
        return self.status

    @property
    def current_status(self) -> str:
        return self.status_on(timezone.localdate())

    @property
    def current_status_label(self) -> str:
        return str(AgreementStatus(self.current_status).label)


class CommitmentPeriod(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")
    TERM = "term", _("协议期内")


class Commitment(models.Model):
    """A measurable promise inside an agreement: `target` of `measure` each `period`.

    Fulfilment is computed from the platform's records (`fulfilment.py`); nobody types a figure in.
    `threshold` is the place a ranking measure must reach (e.g. top 10); `tags` narrows stories to an area,
    `channel_kinds` to kinds of channel, `min_channels` asks for breadth, `active_months` limits the promise
    to a season (e.g. the flood season).
    """

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("合作协议")
    )
    title = models.CharField(_("合作事项"), max_length=200)
    measure = models.CharField(_("统计口径"), max_length=32)
    target = models.PositiveIntegerField(_("目标值"))
    period = models.CharField(_("考核周期"), max_length=8, choices=CommitmentPeriod.choices)
    tags = models.JSONField(_("领域标签"), default=list, blank=True)
    channel_kinds = models.JSONField(_("渠道类型"), default=list, blank=True)
    min_channels = models.PositiveSmallIntegerField(_("至少覆盖渠道数"), default=0)
    active_months = models.JSONField(_("适用月份"), default=list, blank=True)
    threshold = models.PositiveSmallIntegerField(_("排名进入前"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)

    class Meta:
        ordering = ["agreement", "id"]
        verbose_name = _("合作事项")
        verbose_name_plural = _("合作事项")

    def __str__(self) -> str:
        return self.title

    @property
    def partner_id(self) -> int:
        return self.agreement.partner_id


class MeetingKind(models.TextChoices):
    VISIT = "visit", _("互访")
    FORUM = "forum", _("座谈")
    LIAISON = "liaison", _("工作联络")
    OTHER = "other", _("其他")


class Meeting(models.Model):
    """A visit, forum or working contact (互访、座谈、联络) with its minutes and decisions."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("合作方"))
    kind = models.CharField(_("类型"), max_length=12, choices=MeetingKind.choices, default=MeetingKind.FORUM)
    title = models.CharField(_("主题"), max_length=200)
    held_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    participants = models.TextField(_("参加人员"), blank=True)
    minutes = models.TextField(_("纪要"), blank=True)
    decisions = models.TextField(_("议定事项"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = _("联络记录")
        verbose_name_plural = _("联络记录")

    def __str__(self) -> str:
        return self.title


class ActionState(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ActionItem(models.Model):
    """A follow-up (待办) agreed with a partner, owned by someone at the station, due on a date."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="actions", verbose_name=_("合作方"))
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="actions", verbose_name=_("来自")
    )
    title = models.CharField(_("事项"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("负责人")
    )
    due_on = models.DateField(_("截止日期"))
    state = models.CharField(_("状态"), max_length=12, choices=ActionState.choices, default=ActionState.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["state", "due_on", "id"]
        indexes = [models.Index(fields=["state", "due_on"])]
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return self.state == ActionState.OPEN and self.due_on < timezone.localdate()


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已纳入策划")
    DECLINED = "declined", _("未采纳")
    DONE = "done", _("已完成")
    WITHDRAWN = "withdrawn", _("已撤回")


class PublicityRequest(models.Model):
    """A partner's publicity request (宣传需求): what, why, when, where; the station accepts or declines it."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="requests", verbose_name=_("合作方"))
    title = models.CharField(_("需求标题"), max_length=200)
    description = models.TextField(_("宣传内容"))
    purpose = models.TextField(_("宣传目的"), blank=True)
    wanted_from = models.DateField(_("希望开始日期"), null=True, blank=True)
    wanted_by = models.DateField(_("希望完成日期"))
    channels = models.JSONField(_("希望渠道"), default=list, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=RequestState.choices, default=RequestState.SUBMITTED)
    decision_reason = models.TextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="publicity_requests", verbose_name=_("提交人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("宣传需求")
        verbose_name_plural = _("宣传需求")

    def __str__(self) -> str:
        return self.title


class RequestAttachment(models.Model):
    request = models.ForeignKey(PublicityRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
