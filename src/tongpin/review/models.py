"""三审三校: workflows of ordered steps, runs tied to one revision, proofreading rules as data."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.core.roles import Role
from tongpin.newsroom.models import Revision, Story
from tongpin.partners.models import Partner


class Workflow(models.Model):
    """An ordered list of steps. The default one is 初审 → 复审 → 终审; a partner may have its own."""

    class Restart(models.TextChoices):
        RUN = "run", _("从第一步重新开始")
        STEP = "step", _("只重做当前步骤")

    name = models.CharField(_("名称"), max_length=100)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name=_("合作方"),
        help_text=_("留空则为默认流程"),
    )
    is_default = models.BooleanField(_("默认流程"), default=False)
    allow_same_person = models.BooleanField(
        _("允许同一人审多步"), default=False, help_text=_("开启后，同一人审第二步须填写理由，并记入审计日志")
    )
    allow_author_review = models.BooleanField(
        _("允许作者审核本人稿件"),
        default=False,
        help_text=_("开启后，作者或合著者审核本人稿件须填写理由，并记入审计日志"),
    )
    restart_on_revision = models.CharField(
        _("审核中修改稿件时"), max_length=8, choices=Restart.choices, default=Restart.RUN
    )

    class Meta:
        verbose_name = _("审核流程")
        verbose_name_plural = _("审核流程")

    def __str__(self) -> str:
        return self.name


class WorkflowStep(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤"), max_length=50)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, verbose_name=_("指定人员"))
    due_hours = models.PositiveIntegerField(_("时限（小时）"), default=24)
    is_final = models.BooleanField(_("终审"), default=False, help_text=_("校对错误未处理时不能通过此步"))

    class Meta:
        ordering = ["workflow", "order"]
        constraints = [models.UniqueConstraint(fields=["workflow", "order"], name="unique_step_order")]
        verbose_name = _("流程步骤")
        verbose_name_plural = _("流程步骤")

    def __str__(self) -> str:
        return f"{self.workflow} · {self.order}. {self.name}"


class RunStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("审核中")
    APPROVED = "approved", _("已通过")
    CHANGES_REQUESTED = "changes", _("退回修改")
    REJECTED = "rejected", _("不予采用")
    RESTARTED = "restarted", _("因修改重新审核")


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("等待")
    ACTIVE = "active", _("待审")
    APPROVED = "approved", _("通过")
    CHANGES_REQUESTED = "changes", _("退回修改")
    REJECTED = "rejected", _("不予采用")
    CANCELLED = "cancelled", _("已取消")


class Priority(models.IntegerChoices):
    NORMAL = 0, _("普通")
    HIGH = 1, _("加急")
    URGENT = 2, _("特急")


class ReviewRun(models.Model):
    """One pass of a workflow over one exact revision; a new revision ends it or resets its step."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="review_runs")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="review_runs")
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.IN_PROGRESS, db_index=True)
    priority = models.SmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")

    def __str__(self) -> str:
        return f"{self.story} r{self.revision.number} {self.status}"


class ReviewStep(models.Model):
    run = models.ForeignKey(ReviewRun, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=50)
    role = models.CharField(max_length=32, blank=True)
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    is_final = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING, db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_decisions"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    revision_number = models.PositiveIntegerField(null=True, blank=True)  # the revision the decision saw

    class Meta:
        ordering = ["run", "order"]
        verbose_name = _("审核步骤")
        verbose_name_plural = _("审核步骤")

    def __str__(self) -> str:
        return f"{self.run_id}/{self.order} {self.name} {self.status}"


class StepComment(models.Model):
    step = models.ForeignKey(ReviewStep, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("意见"))
    decision = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class ProofreadReport(models.Model):
    """The checker's findings for one revision (JSON, offsets into the revision's plain text)."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="proofread_reports")
    rules_version = models.PositiveIntegerField(default=0)
    findings = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"r{self.revision_id}: {len(self.findings)}"


class FindingOverride(models.Model):
    """An error a reviewer decided to let stand, with the reason (so it no longer blocks 终审)."""

    report = models.ForeignKey(ProofreadReport, on_delete=models.CASCADE, related_name="overrides")
    finding_key = models.CharField(max_length=120)
    reason = models.CharField(_("理由"), max_length=300)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "finding_key"], name="unique_override")]

    def __str__(self) -> str:
        return self.finding_key


class ProofRule(models.Model):
    """One entry of a rule list (typo, prohibited, advert), editable by admins; every change is logged."""

    class Category(models.TextChoices):
        TYPO = "typo", _("错别字")
        PROHIBITED = "prohibited", _("禁用词")
        ADVERT = "advert", _("广告用语")

    class Severity(models.TextChoices):
        ERROR = "error", _("错误")
        WARNING = "warning", _("警告")
        INFO = "info", _("提示")

    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    term = models.CharField(_("词语"), max_length=40)
    suggestion = models.CharField(_("建议"), max_length=80, blank=True)
    severity = models.CharField(_("级别"), max_length=8, choices=Severity.choices, default=Severity.ERROR)
    source = models.CharField(_("来源"), max_length=200)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "term"]
        constraints = [models.UniqueConstraint(fields=["category", "term"], name="unique_rule_term")]
        verbose_name = _("校对规则")
        verbose_name_plural = _("校对规则")

    def __str__(self) -> str:
        return f"{self.category}:{self.term}"


RULE_CHANGE_ACTIONS = {"add": _("新增"), "change": _("修改"), "delete": _("删除"), "import": _("导入")}


class ProofRuleChange(models.Model):
    """The change log of the rule lists; its highest id is the rules' version."""

    rule_key = models.CharField(max_length=60)
    action = models.CharField(max_length=16)  # add, change, delete, import
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.rule_key}"

    @property
    def action_label(self) -> str:
        return str(RULE_CHANGE_ACTIONS.get(self.action, self.action))

    @property
    def subject(self) -> str:
        """`rule_key` in words: `错别字：再接再励`, `领导名录`, `领导名录：李文华`."""
        kind, _sep, name = self.rule_key.partition(":")
        label = _("领导名录") if kind == "roster" else dict(ProofRule.Category.choices).get(kind, kind)
        return f"{label}：{name}" if name else str(label)


class RosterEntry(models.Model):
    """The leader roster, maintained by the customer: names, current titles, rank (1 = highest)."""

    name = models.CharField(_("姓名"), max_length=20, unique=True)
    title = models.CharField(_("现任职务"), max_length=60)
    rank = models.PositiveIntegerField(_("排序"))
    former_titles = models.CharField(_("原职务"), max_length=200, blank=True, help_text=_("多个用“|”分隔"))

    class Meta:
        ordering = ["rank", "name"]
        verbose_name = _("领导名录")
        verbose_name_plural = _("领导名录")

    def __str__(self) -> str:
        return f"{self.title}{self.name}"


class StoryFlag(models.Model):
    """Post-publication review: someone flags a published story; a chief editor withdraws it or dismisses."""

    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        WITHDRAWN = "withdrawn", _("已撤稿")
        DISMISSED = "dismissed", _("不予撤稿")

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="flags")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("问题"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("处理意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.story}: {self.reason[:40]}"
