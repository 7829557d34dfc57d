"""Effect analytics (传播效果): accounts (ours, partners', peers'), their articles and figures over time, daily
roll-ups for rankings, imports and partner reports. Analytics reads the other apps; nobody imports analytics."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.partners.models import Partner
from tongpin.publishing.models import Channel, Rendition


class Platform(models.TextChoices):
    WECHAT = "wechat", _("微信公众号")
    WEIBO = "weibo", _("微博")
    DOUYIN = "douyin", _("抖音")
    KUAISHOU = "kuaishou", _("快手")
    CHANNELS = "channels", _("视频号")
    OTHER = "other", _("其他")


class PeerGroup(models.Model):
    """Accounts ranked against each other (e.g. the city's government WeChat accounts), so like meets like."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    platform = models.CharField(_("平台"), max_length=12, choices=Platform.choices, default=Platform.WECHAT)
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("排名分组")
        verbose_name_plural = _("排名分组")

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """An account on a platform: the station's own (tied to its channel), a partner's, or a peer's."""

    platform = models.CharField(_("平台"), max_length=12, choices=Platform.choices, default=Platform.WECHAT)
    name = models.CharField(_("账号名称"), max_length=100)
    external_id = models.CharField(_("平台账号 ID"), max_length=100, blank=True)
    group = models.ForeignKey(
        PeerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("排名分组")
    )
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("合作方")
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("本台渠道")
    )
    followers = models.PositiveBigIntegerField(_("粉丝数"), default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["platform", "name"]
        constraints = [models.UniqueConstraint(fields=["platform", "name"], name="account_name_per_platform")]
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One article, post or video of an account. `reads`…`comments` are the figures rankings use: the day-7
    figures where there are some (docs/analytics.md), else the latest before; `figures_age` says which."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="articles", verbose_name=_("账号"))
    key = models.CharField(max_length=200)
    title = models.CharField(_("标题"), max_length=300, blank=True)
    url = models.URLField(_("链接"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    day = models.DateField(_("发布日期"), db_index=True)
    position = models.PositiveSmallIntegerField(_("位置"), default=1)
    rendition = models.ForeignKey(
        Rendition, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles", verbose_name=_("渠道稿")
    )
    reads = models.PositiveBigIntegerField(_("阅读/播放"), default=0)
    likes = models.PositiveBigIntegerField(_("点赞"), default=0)
    wows = models.PositiveBigIntegerField(_("在看"), default=0)
    shares = models.PositiveBigIntegerField(_("转发/分享"), default=0)
    comments = models.PositiveBigIntegerField(_("评论"), default=0)
    figures_age = models.SmallIntegerField(default=-1)

    class Meta:
        ordering = ["-published_at", "position"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="article_once_per_account")]
        indexes = [models.Index(fields=["account", "day"])]
        verbose_name = _("文章")
        verbose_name_plural = _("文章")

    def __str__(self) -> str:
        return self.title or self.key


class MetricSample(models.Model):
    """An article's figures as observed on a day (a platform export, the API or a person typing them)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="samples")
    observed_on = models.DateField(_("数据日期"))
    age_days = models.SmallIntegerField()
    reads = models.PositiveBigIntegerField(default=0)
    likes = models.PositiveBigIntegerField(default=0)
    wows = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=40)

    class Meta:
        ordering = ["article", "observed_on"]
        constraints = [models.UniqueConstraint(fields=["article", "observed_on"], name="one_sample_per_day")]

    def __str__(self) -> str:
        return f"{self.article_id}@{self.observed_on}"


class AccountSample(models.Model):
    """An account's followers on a day."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="samples")
    day = models.DateField()
    followers = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=40)

    class Meta:
        ordering = ["account", "day"]
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="one_account_sample_per_day")]

    def __str__(self) -> str:
        return f"{self.account_id}@{self.day}"


class AccountDay(models.Model):
    """Roll-up of one account's articles published on one day (sums, headline sums, maxima): rankings of any
    period are computed from these rows, never from the articles themselves."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    week = models.DateField()  # the Sunday its ranking week starts on
    month = models.DateField()  # the first of its month
    n = models.PositiveIntegerField(default=0)
    nt = models.PositiveIntegerField(default=0)
    R = models.PositiveBigIntegerField(default=0)  # noqa: N815  (the formulas' own letters)
    Z = models.PositiveBigIntegerField(default=0)  # noqa: N815
    L = models.PositiveBigIntegerField(default=0)  # noqa: N815
    RE = models.PositiveBigIntegerField(default=0)  # noqa: N815
    C = models.PositiveBigIntegerField(default=0)  # noqa: N815
    Rt = models.PositiveBigIntegerField(default=0)  # noqa: N815
    Zt = models.PositiveBigIntegerField(default=0)  # noqa: N815
    Lt = models.PositiveBigIntegerField(default=0)  # noqa: N815
    REt = models.PositiveBigIntegerField(default=0)  # noqa: N815
    Rmax = models.PositiveBigIntegerField(default=0)  # noqa: N815
    Zmax = models.PositiveBigIntegerField(default=0)  # noqa: N815
    Lmax = models.PositiveBigIntegerField(default=0)  # noqa: N815
    REmax = models.PositiveBigIntegerField(default=0)  # noqa: N815

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="one_rollup_per_day")]
        indexes = [
            models.Index(fields=["day", "account"]),
            models.Index(fields=["month", "week", "account"]),  # rankings of a year read in this order
        ]

    def __str__(self) -> str:
        return f"{self.account_id}@{self.day}"

    def save(self, *args, **kwargs):
        self.week, self.month = period_starts(self.day)
        super().save(*args, **kwargs)


def period_starts(day) -> tuple:
    """(the Sunday starting its week, the first of its month) — the keys rankings group by."""
    import datetime as dt

    return day - dt.timedelta(days=(day.weekday() + 1) % 7), day.replace(day=1)


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", _("已导入")
    PARTIAL = "partial", _("部分导入")
    REJECTED = "rejected", _("未导入")
    UNCHANGED = "unchanged", _("无变化")


def _import_path(instance, filename: str) -> str:
    return f"imports/{uuid.uuid4().hex}-{filename[-60:]}"


class MetricImport(models.Model):
    """One uploaded export file and what became of each row."""

    format = models.CharField(_("格式"), max_length=20)
    original_name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(upload_to=_import_path, max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("结果"), max_length=12, choices=ImportStatus.choices)
    rows_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")

    def __str__(self) -> str:
        return self.original_name


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def _report_path(instance, filename: str) -> str:
    return f"reports/{uuid.uuid4().hex}.pdf"


class PartnerReport(models.Model):
    """A report to one partner for one period, generated in the background (HTML and PDF)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="reports", verbose_name=_("合作方"))
    period = models.CharField(_("周期"), max_length=10)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    html = models.TextField(blank=True)
    pdf = models.FileField(upload_to=_report_path, max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    scheduled = models.BooleanField(default=False)  # made by the monthly schedule (TONGPIN_REPORT_SCHEDULE)
    mail_to = models.JSONField(default=list, blank=True)  # addresses to e-mail the PDF to once built
    mailed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two workers scheduling the month at once: the second INSERT fails instead of a second report.
            models.UniqueConstraint(
                fields=["partner", "starts_on", "ends_on"],
                condition=models.Q(scheduled=True),
                name="one_scheduled_report_per_period",
            )
        ]
        verbose_name = _("合作报告")
        verbose_name_plural = _("合作报告")

    def __str__(self) -> str:
        return f"{self.partner} {self.starts_on}—{self.ends_on}"
