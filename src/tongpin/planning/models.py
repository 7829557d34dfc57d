"""Planning (策划): key publicity dates, campaigns, topics (选题), assignments (派单), joint events (活动筹办).

Planning points at partners (a campaign serves a commitment, a topic may answer a publicity request);
stories point at planning. Rows others point to are protected: deleting them is refused, never cascaded.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.partners.models import Commitment, Partner, PublicityRequest


class KeyDate(models.Model):
    """A publicity date (宣传节点). Recurring ones repeat every year on a month/day (optionally spanning to an end
    month/day, e.g. the flood season); one-off ones have their own dates. `lead_days` is how early a campaign
    should start."""

    class Kind(models.TextChoices):
        RECURRING = "recurring", _("每年")
        ONE_OFF = "one_off", _("单次")

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.RECURRING)
    month = models.PositiveSmallIntegerField(_("月"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("日"), null=True, blank=True)
    end_month = models.PositiveSmallIntegerField(_("结束月"), null=True, blank=True)
    end_day = models.PositiveSmallIntegerField(_("结束日"), null=True, blank=True)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    lead_days = models.PositiveSmallIntegerField(_("提前策划天数"), default=14)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="key_dates", verbose_name=_("合作方")
    )
    tags = models.JSONField(_("领域标签"), default=list, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["month", "day", "starts_on", "name"]
        verbose_name = _("宣传节点")
        verbose_name_plural = _("宣传节点")

    def __str__(self) -> str:
        return self.name


class CampaignState(models.TextChoices):
    PLANNED = "planned", _("筹划中")
    ACTIVE = "active", _("进行中")
    DONE = "done", _("已完成")
    ARCHIVED = "archived", _("已归档")


class Campaign(models.Model):
    title = models.CharField(_("策划名称"), max_length=200)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("合作方")
    )
    key_date = models.ForeignKey(
        KeyDate, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("宣传节点")
    )
    commitment = models.ForeignKey(
        Commitment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("对应合作事项"),
    )
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    description = models.TextField(_("策划方案"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("负责人"),
    )
    state = models.CharField(_("状态"), max_length=12, choices=CampaignState.choices, default=CampaignState.PLANNED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("策划")
        verbose_name_plural = _("策划")

    def __str__(self) -> str:
        return self.title


class TopicState(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已通过")
    IN_PROGRESS = "in_progress", _("制作中")
    DONE = "done", _("已完成")
    REJECTED = "rejected", _("未通过")


class Topic(models.Model):
    """A story idea (选题): proposed by anyone, approved by a desk chief, then assigned."""

    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("策划"),
    )
    title = models.CharField(_("选题"), max_length=200)
    description = models.TextField(_("选题说明"), blank=True)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="topics", verbose_name=_("合作方")
    )
    request = models.ForeignKey(
        PublicityRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("来自宣传需求"),
    )
    due_on = models.DateField(_("计划刊发日期"), null=True, blank=True)
    channels = models.JSONField(_("拟发渠道"), default=list, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=TopicState.choices, default=TopicState.PROPOSED)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出人")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "title"]
        verbose_name = _("选题")
        verbose_name_plural = _("选题")

    def __str__(self) -> str:
        return self.title


class AssignmentRole(models.TextChoices):
    REPORTER = "reporter", _("记者")
    ANCHOR = "anchor", _("主播")
    CREW = "crew", _("摄制")
    EDITOR = "editor", _("编辑")


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    DELIVERED = "delivered", _("已交稿")
    CANCELLED = "cancelled", _("已取消")


class Assignment(models.Model):
    """A topic given to one person (派单) with a deadline; `starts_at`–`ends_at` books them (a shoot, a
    broadcast) so double bookings can be seen."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("选题"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("承接人")
    )
    role = models.CharField(_("分工"), max_length=12, choices=AssignmentRole.choices, default=AssignmentRole.REPORTER)
    brief = models.TextField(_("要求"), blank=True)
    starts_at = models.DateTimeField(_("占用开始"), null=True, blank=True)
    ends_at = models.DateTimeField(_("占用结束"), null=True, blank=True)
    due_at = models.DateTimeField(_("交稿截止"))
    channels = models.JSONField(_("需覆盖渠道"), default=list, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=AssignmentState.choices, default=AssignmentState.ASSIGNED
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["assignee", "due_at"])]
        verbose_name = _("派单")
        verbose_name_plural = _("派单")

    def __str__(self) -> str:
        return f"{self.topic} → {self.assignee}"


class EventState(models.TextChoices):
    PREPARING = "preparing", _("筹备中")
    HELD = "held", _("已举办")
    CANCELLED = "cancelled", _("已取消")


class Event(models.Model):
    """A joint event or project (活动筹办), e.g. an expo co-organised with a partner."""

    title = models.CharField(_("活动名称"), max_length=200)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("合作方")
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("策划")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("负责人"),
    )
    state = models.CharField(_("状态"), max_length=12, choices=EventState.choices, default=EventState.PREPARING)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("活动")
        verbose_name_plural = _("活动")

    def __str__(self) -> str:
        return self.title


class EventTask(models.Model):
    """A milestone or task of an event, with an owner and a due date."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("活动"))
    title = models.CharField(_("任务"), max_length=200)
    is_milestone = models.BooleanField(_("里程碑"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="event_tasks",
        verbose_name=_("负责人"),
    )
    due_on = models.DateField(_("截止日期"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("活动任务")
        verbose_name_plural = _("活动任务")

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due_on < timezone.localdate()


class FeedKey(models.Model):
    """A person's iCalendar key: part of every feed address they hand out. Regenerating it (ical.rotate) ends
    all their earlier addresses at once; a person with no row has the empty key."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_key")
    secret = models.CharField(max_length=200)  # sealed with the data key (ical.py, core/datakey.py)
    rotated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("日程订阅密钥")
        verbose_name_plural = _("日程订阅密钥")

    def __str__(self) -> str:
        return f"{self.user} {self.rotated_at:%Y-%m-%d}"
