"""Live commerce (直播电商): the anchor roster with the records rules require, enterprises' products and their
documents, studios, sessions with hosts, products and run sheets, compliance sign-off, and results.

Records are kept: a session with results cannot be deleted, and everything others point to is protected."""

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.partners.models import Partner


def _file_path(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"live/{uuid.uuid4().hex}.{suffix}"


class LivePlatform(models.TextChoices):
    DOUYIN = "douyin", _("抖音")
    KUAISHOU = "kuaishou", _("快手")
    CHANNELS = "channels", _("视频号")
    TAOBAO = "taobao", _("淘宝直播")
    OTHER = "other", _("其他")


class QualificationField(models.TextChoices):
    """Topics a host may only speak on with a professional qualification."""

    MEDICAL = "medical", _("医疗健康")
    FINANCIAL = "financial", _("金融理财")
    LEGAL = "legal", _("法律")
    EDUCATION = "education", _("教育")


class Anchor(models.Model):
    """A host on the station's anchor roster (主播矩阵)."""

    name = models.CharField(_("姓名"), max_length=64)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="anchor",
        verbose_name=_("平台账号"),
    )
    birth_date = models.DateField(_("出生日期"))
    guardian_consent = models.BooleanField(_("已有监护人同意书"), default=False)
    skills = models.JSONField(_("擅长"), default=list, blank=True)
    categories = models.JSONField(_("带货品类"), default=list, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("主播")
        verbose_name_plural = _("主播")

    def __str__(self) -> str:
        return self.name


class AnchorAccount(models.Model):
    anchor = models.ForeignKey(Anchor, on_delete=models.CASCADE, related_name="accounts")
    platform = models.CharField(_("平台"), max_length=12, choices=LivePlatform.choices)
    handle = models.CharField(_("账号"), max_length=100)

    class Meta:
        ordering = ["platform", "handle"]
        verbose_name = _("主播账号")
        verbose_name_plural = _("主播账号")

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.handle}"


class Qualification(models.Model):
    """A professional qualification a host needs to speak on medical, financial, legal or education topics."""

    anchor = models.ForeignKey(Anchor, on_delete=models.CASCADE, related_name="qualifications")
    field = models.CharField(_("领域"), max_length=12, choices=QualificationField.choices)
    number = models.CharField(_("证书编号"), max_length=64)
    expires_on = models.DateField(_("有效期至"))
    document = models.FileField(_("证书扫描件"), upload_to=_file_path, max_length=200, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["field", "-expires_on"]
        verbose_name = _("资质")
        verbose_name_plural = _("资质")

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.number}"


class Product(models.Model):
    """A partner enterprise's product offered in sessions."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="products", verbose_name=_("企业"))
    name = models.CharField(_("商品名称"), max_length=120)
    price = models.DecimalField(_("价格（元）"), max_digits=10, decimal_places=2)
    specification = models.CharField(_("规格"), max_length=200, blank=True)
    category = models.CharField(_("品类"), max_length=40, blank=True)
    needs = models.CharField(
        _("涉及专业领域"),
        max_length=12,
        choices=QualificationField.choices,
        blank=True,
        help_text=_("涉及医疗、金融、法律、教育的商品，主播须持相应资质"),
    )
    claims = models.TextField(_("卖点与宣传语"), blank=True)
    image = models.ImageField(_("商品图"), upload_to=_file_path, max_length=200, blank=True)
    is_active = models.BooleanField(_("在售"), default=True)

    class Meta:
        ordering = ["partner", "name"]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")

    def __str__(self) -> str:
        return self.name


class ProductDocument(models.Model):
    class Kind(models.TextChoices):
        LICENCE = "licence", _("营业执照")
        INSPECTION = "inspection", _("检验报告")
        PERMIT = "permit", _("生产/经营许可")
        OTHER = "other", _("其他")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    number = models.CharField(_("编号"), max_length=64, blank=True)
    expires_on = models.DateField(_("有效期至"))
    file = models.FileField(_("扫描件"), upload_to=_file_path, max_length=200, blank=True)

    class Meta:
        ordering = ["product", "kind"]
        verbose_name = _("商品资质文件")
        verbose_name_plural = _("商品资质文件")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Studio(models.Model):
    name = models.CharField(_("直播间"), max_length=64, unique=True)
    place = models.CharField(_("位置"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("直播间")
        verbose_name_plural = _("直播间")

    def __str__(self) -> str:
        return self.name


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("已排期")
    REHEARSED = "rehearsed", _("已彩排")
    LIVE = "live", _("直播中")
    REVIEWED = "reviewed", _("已复盘")
    CANCELLED = "cancelled", _("已取消")


class LiveSession(models.Model):
    title = models.CharField(_("场次名称"), max_length=200)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="live_sessions", verbose_name=_("企业"))
    platform = models.CharField(_("平台"), max_length=12, choices=LivePlatform.choices)
    account = models.CharField(_("直播账号"), max_length=100)
    studio = models.ForeignKey(
        Studio, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("直播间")
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    script = models.TextField(_("直播脚本"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.PLANNED)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("合规审核人"),
    )
    signed_off_at = models.DateTimeField(_("合规审核时间"), null=True, blank=True)
    checked_text = models.TextField(blank=True)  # exactly what the sign-off saw
    checked_findings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        verbose_name = _("直播场次")
        verbose_name_plural = _("直播场次")

    def __str__(self) -> str:
        return self.title


class SessionHost(models.Model):
    class Role(models.TextChoices):
        HOST = "host", _("主播")
        ASSISTANT = "assistant", _("助播")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="hosts")
    anchor = models.ForeignKey(Anchor, on_delete=models.PROTECT, related_name="bookings")
    role = models.CharField(_("分工"), max_length=10, choices=Role.choices, default=Role.HOST)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "anchor"], name="anchor_once_per_session")]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.anchor_id}"


class SessionProduct(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="lineup")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="appearances")
    position = models.PositiveSmallIntegerField(default=1)
    minutes = models.PositiveSmallIntegerField(_("讲解时长（分钟）"), default=5)
    talking_points = models.TextField(_("讲解要点"), blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.product_id}"


def percent(part: int, whole: int) -> Decimal:
    """part / whole as a percentage to two places (0 when whole is 0): a conversion of 3.47 %, not 3 %."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class SessionResult(models.Model):
    """Figures of a session from the platform (export or typed in). Net GMV, GPM, conversion and average order
    value are computed, never stored."""

    session = models.OneToOneField(LiveSession, on_delete=models.PROTECT, related_name="result")
    viewers = models.PositiveIntegerField(_("观看人数"))
    peak_concurrent = models.PositiveIntegerField(_("最高在线"))
    avg_watch_seconds = models.PositiveIntegerField(_("人均观看时长（秒）"))
    orders = models.PositiveIntegerField(_("订单数"))
    gmv = models.DecimalField(_("成交额（元）"), max_digits=14, decimal_places=2)
    refunds = models.DecimalField(_("退款额（元）"), max_digits=14, decimal_places=2, default=0)
    source = models.CharField(max_length=60)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("直播数据")
        verbose_name_plural = _("直播数据")

    def __str__(self) -> str:
        return f"{self.session_id}"

    @property
    def net_gmv(self):
        return self.gmv - self.refunds

    @property
    def gpm(self):
        """GMV per thousand viewers (net of refunds)."""
        return round(self.net_gmv * 1000 / self.viewers, 2) if self.viewers else 0

    @property
    def conversion(self) -> float:
        return round(self.orders / self.viewers, 4) if self.viewers else 0.0

    @property
    def conversion_percent(self) -> Decimal:
        """Orders per hundred viewers, to two places (3.47): how conversion is shown everywhere."""
        return percent(self.orders, self.viewers)

    @property
    def average_order(self):
        return round(self.net_gmv / self.orders, 2) if self.orders else 0
