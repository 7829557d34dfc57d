"""Publishing data: channels, publications, renditions and the delivery queue.

Publishing knows nothing of stories or alerts (DESIGN.md): a Publication names its source by type and id
and keeps a snapshot of the content it was made from, so renditions never change under the sender.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.partners.models import Partner

from .kinds import ChannelKind


class Priority(models.IntegerChoices):
    """Higher goes first; HIGH and above also have worker threads of their own (the priority lane)."""

    NORMAL = 0, _("普通")
    HIGH = 50, _("优先")
    URGENT = 100, _("紧急插播")


class Channel(models.Model):
    """A place the station publishes to: a kind (what the rendition looks like) and a transmitter (how it goes)."""

    name = models.CharField(_("名称"), max_length=80)
    slug = models.SlugField(_("标识"), max_length=50, unique=True)
    kind = models.CharField(_("渠道类型"), max_length=16, choices=ChannelKind.choices)
    transmitter = models.CharField(_("发送方式"), max_length=32)
    settings = models.JSONField(_("设置"), default=dict, blank=True)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="channels", verbose_name=_("合作方")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    for_tests = models.BooleanField(_("测试渠道"), default=False)
    paused = models.BooleanField(_("已暂停"), default=False)
    paused_reason = models.CharField(_("暂停原因"), max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=6)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("渠道")
        verbose_name_plural = _("渠道")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Secrets are stored sealed whatever way they came in (publishing/secrets.py, docs/security.md).
        from .secrets import seal_settings

        self.settings = seal_settings(self.kind, self.transmitter, self.settings)
        super().save(*args, **kwargs)


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("待发布")
    SCHEDULED = "scheduled", _("定时发布")
    SENDING = "sending", _("发送中")
    DONE = "done", _("已发布")
    PARTIAL = "partial", _("部分失败")
    FAILED = "failed", _("发布失败")
    WITHDRAWN = "withdrawn", _("已撤回")
    CANCELLED = "cancelled", _("已取消")


class Publication(models.Model):
    """One release of one version of a source (a story or an alert) to a set of channels."""

    # Set by `publishing.store()` on the object it returns: the renditions and deliveries it wrote, so a caller
    # answering at once (the warning intake) need not read them back. Never set on rows read from the database.
    written: tuple[list, list] | None = None

    source_type = models.CharField(max_length=16)
    source_id = models.BigIntegerField()
    source_version = models.PositiveIntegerField(default=1)
    title = models.CharField(_("标题"), max_length=200)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("合作方")
    )
    content = models.JSONField(default=dict)
    priority = models.SmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    scheduled_at = models.DateTimeField(_("定时"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=PublicationState.choices, default=PublicationState.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    released_at = models.DateTimeField(_("提交发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source_type", "source_id"])]
        verbose_name = _("发布")
        verbose_name_plural = _("发布")

    def __str__(self) -> str:
        return self.title


class Rendition(models.Model):
    """A publication made for one channel (渠道稿); editable until it is released, then frozen."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="renditions")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="renditions")
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    fields = models.JSONField(default=dict)
    findings = models.JSONField(default=list, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    edited_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["channel__kind", "channel__name"]
        constraints = [models.UniqueConstraint(fields=["publication", "channel"], name="one_rendition_per_channel")]
        verbose_name = _("渠道稿")
        verbose_name_plural = _("渠道稿")

    def __str__(self) -> str:
        return f"{self.publication_id}/{self.channel_id}"

    @property
    def blocking(self) -> list[dict]:
        return [f for f in self.findings if f.get("severity") == "error"]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("排队中")
    IN_PROGRESS = "in_progress", _("发送中")
    SUCCESS = "success", _("成功")
    RETRYING = "retrying", _("等待重试")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING, DeliveryState.IN_PROGRESS)


class Reach(models.TextChoices):
    """Whether a delivery reached its audience, where the channel can tell (platform feedback, SMS delivery
    reports, WeChat's publish result). Sent and received are times on the delivery (`sent_at`, `received_at`)."""

    UNKNOWN = "", _("无从得知")
    WAITING = "waiting", _("等待回执")
    REACHED = "reached", _("已到达")
    PARTIAL = "partial", _("部分到达")
    UNREACHED = "unreached", _("未到达")


class DeliveryAction(models.TextChoices):
    PUBLISH = "publish", _("发布")
    WITHDRAW = "withdraw", _("撤回")


def _new_key() -> str:
    return uuid.uuid4().hex


class Delivery(models.Model):
    """One send of one rendition to its channel's destination; the queue is this table.

    A worker claims rows by setting `lease_until`; a row whose lease ran out (its worker died) is claimed
    again. The idempotency key stays the same on every attempt, so a receiver that honours it never
    publishes twice.
    """

    rendition = models.ForeignKey(Rendition, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="deliveries")
    action = models.CharField(_("动作"), max_length=10, choices=DeliveryAction.choices, default=DeliveryAction.PUBLISH)
    state = models.CharField(_("状态"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    priority = models.SmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    due_at = models.DateTimeField(_("计划时间"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    idempotency_key = models.CharField(max_length=64, unique=True, default=_new_key)
    last_code = models.CharField(max_length=40, blank=True)
    last_error = models.CharField(_("错误"), max_length=500, blank=True)
    remote_ref = models.CharField(max_length=200, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("入队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Sent: our transmitter handed it over; received: the far end confirmed it has it; reached: it got to its
    # audience (broadcast done, SMS delivered to handsets, article published) — where the channel can tell.
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("对方确认接收时间"), null=True, blank=True)
    reached_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    reach = models.CharField(_("到达情况"), max_length=10, choices=Reach.choices, default=Reach.UNKNOWN, blank=True)
    reach_total = models.PositiveIntegerField(_("接收方数"), default=0)  # SMS recipients; 0 where not counted
    reach_ok = models.PositiveIntegerField(_("已到达数"), default=0)
    reach_failed = models.PositiveIntegerField(_("未到达数"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The claim query walks this index in order, one state at a time, and stops at its LIMIT,
            # however long the backlog.
            models.Index(fields=["state", "-priority", "due_at", "id"], name="delivery_claim"),
            models.Index(fields=["state", "lease_until"], name="delivery_leases"),
            models.Index(fields=["channel", "state"], name="delivery_channel_state"),
            # The status page and /metrics count what finished or was delivered in a recent window.
            models.Index(fields=["finished_at"], name="delivery_finished"),
            models.Index(fields=["delivered_at"], name="delivery_delivered"),
        ]
        verbose_name = _("投递")
        verbose_name_plural = _("投递")

    def __str__(self) -> str:
        return f"{self.action} {self.rendition_id} → {self.channel_id}"

    @property
    def state_label(self) -> str:
        """The state as a person reads it: a take-down says what became of the withdrawal (已撤回, 撤回失败),
        because "撤回" beside a bare "成功" read as two contradicting states."""
        if self.action != DeliveryAction.WITHDRAW:
            return self.get_state_display()
        return str(WITHDRAW_STATES.get(self.state, WITHDRAW_STATES[DeliveryState.IN_PROGRESS]))


# A take-down's states in words; pending, retrying and in progress all read 撤回中.
WITHDRAW_STATES = {
    DeliveryState.SUCCESS: _("已撤回"),
    DeliveryState.IN_PROGRESS: _("撤回中"),
    DeliveryState.FAILED: _("撤回失败"),
    DeliveryState.CANCELLED: _("撤回已取消"),
}


ATTEMPT_OUTCOMES = {
    "success": _("成功"),
    "accepted": _("已受理，待查询结果"),
    "error": _("失败，将重试"),
    "permanent": _("失败，不再重试"),
}
# What a successful send's code says (queue._attempt stores the transmitter's Outcome.code); "ok" needs no words.
ATTEMPT_CODES = {
    "ok": "",
    "listed": _("已列入订阅源"),
    "unlisted": _("已移出订阅源"),
    "pooled": _("已进入刊物稿池"),
    "unpooled": _("已移出刊物稿池"),
    "publishing": _("平台发布中"),
    "deleted": _("已删除"),
}


class DeliveryAttempt(models.Model):
    """What happened on one try; kept for the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=80, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=12)
    code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=500, blank=True)
    # What the far end answered (its error text), credentials redacted: for admins only.
    detail = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]
        indexes = [models.Index(fields=["finished_at"], name="attempt_finished")]  # /metrics' recent window

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.outcome}"

    @property
    def duration_ms(self) -> int:
        return int((self.finished_at - self.started_at).total_seconds() * 1000)

    @property
    def note(self) -> str:
        """The attempt in words: `成功 · 已进入刊物稿池`, `失败（将重试） · 对方在 10 秒内没有应答。`."""
        outcome = str(ATTEMPT_OUTCOMES.get(self.outcome, self.outcome))
        if self.outcome in ("error", "permanent"):
            detail = self.message or self.code
        elif self.code.isdigit():
            detail = f"HTTP {self.code}"
        else:
            detail = str(ATTEMPT_CODES.get(self.code, self.message or self.code))
        return f"{outcome} · {detail}" if detail else outcome


class RecipientState(models.TextChoices):
    WAITING = "waiting", _("等待回执")
    REACHED = "reached", _("已到达")
    FAILED = "failed", _("未到达")


class DeliveryRecipient(models.Model):
    """One addressee of a delivery whose gateway reports per recipient (SMS): the gateway's message id and what
    its delivery report said. Written when the send is recorded; updated by the report callback."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="recipients")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=40)
    remote_id = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=8, choices=RecipientState.choices, default=RecipientState.WAITING)
    code = models.CharField(max_length=40, blank=True)  # the gateway's own status word (DELIVRD, UNDELIV…)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "id"]
        constraints = [models.UniqueConstraint(fields=["delivery", "recipient"], name="one_row_per_recipient")]
        indexes = [models.Index(fields=["channel", "remote_id"], name="recipient_remote_id")]

    def __str__(self) -> str:
        return f"{self.delivery_id}:{self.masked}"

    @property
    def masked(self) -> str:
        """A phone number as staff see it: 138****5678 (a number is personal data)."""
        number = self.recipient
        return number[:3] + "*" * max(0, len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)


def _issue_path(instance: "JournalIssue", filename: str) -> str:
    return f"journal/{instance.channel_id}/{uuid.uuid4().hex}.pdf"


class JournalIssue(models.Model):
    """One issue of a partner's printed journal (合作方刊物), assembled from print renditions into a PDF."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="issues", verbose_name=_("刊物"))
    number = models.CharField(_("期号"), max_length=40)
    title = models.CharField(_("刊名"), max_length=120)
    issue_date = models.DateField(_("出版日期"))
    renditions = models.ManyToManyField(Rendition, through="JournalArticle", related_name="issues")
    pdf = models.FileField(upload_to=_issue_path, max_length=200, blank=True)
    pages = models.PositiveSmallIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "number"], name="unique_issue_number")]
        verbose_name = _("刊物期次")
        verbose_name_plural = _("刊物期次")

    def __str__(self) -> str:
        return f"{self.title} {self.number}"


class JournalArticle(models.Model):
    issue = models.ForeignKey(JournalIssue, on_delete=models.CASCADE, related_name="articles")
    rendition = models.ForeignKey(Rendition, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["issue", "rendition"], name="article_once_per_issue")]

    def __str__(self) -> str:
        return f"{self.issue_id}:{self.rendition_id}"


class WorkerBeat(models.Model):
    """A running `tongpin worker`'s heartbeat: written about every second by the worker itself. A worker whose
    beat is older than `TONGPIN_WORKER_DEAD_AFTER` is taken for dead and its claimed deliveries go to others."""

    name = models.CharField(max_length=80, unique=True)  # as in Delivery.claimed_by
    host = models.CharField(max_length=80)
    pid = models.PositiveIntegerField()
    runs = models.CharField(max_length=40)  # "deliveries", "deliveries,tasks"
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-beat_at"]
        verbose_name = _("后台进程")
        verbose_name_plural = _("后台进程")

    def __str__(self) -> str:
        return self.name
