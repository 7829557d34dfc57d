import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongpin.core.models import Station
from tongpin.partners.models import Partner
from tongpin.planning.models import Assignment, Campaign, Topic
from tongpin.publishing.kinds import ChannelKind


class Tag(models.Model):
    name = models.CharField(_("标签"), max_length=32, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self) -> str:
        return self.name


class StoryStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    APPROVED = "approved", _("已通过")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")
    ARCHIVED = "archived", _("已归档")


class Story(models.Model):
    """A story (稿件): written once, reviewed, then rendered for every channel.

    `version` is the number of the latest revision; an edit must name the version it started from
    (optimistic locking), so two people never overwrite each other silently.
    """

    title = models.CharField(_("标题"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    body_html = models.TextField(_("正文"), blank=True)
    body_text = models.TextField(_("正文纯文本"), blank=True, editable=False)
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="stories", verbose_name=_("作者"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        verbose_name=_("台站"),
    )
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        verbose_name=_("合作方"),
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        verbose_name=_("策划"),
    )
    topic = models.ForeignKey(
        Topic,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        verbose_name=_("选题"),
    )
    assignment = models.ForeignKey(
        Assignment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        verbose_name=_("派单"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="stories", verbose_name=_("标签"))
    channel_intentions = models.JSONField(_("拟发渠道"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=StoryStatus.choices, default=StoryStatus.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("稿件")
        verbose_name_plural = _("稿件")
        indexes = [models.Index(fields=["partner", "-updated_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def channel_labels(self) -> list[str]:
        return [str(ChannelKind(k).label) for k in self.channel_intentions if k in ChannelKind.values]


class Revision(models.Model):
    """A frozen copy of a story as saved; never changed after it is written."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("版本号"))
    title = models.CharField(_("标题"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    body_html = models.TextField(_("正文"), blank=True)
    body_text = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    channel_intentions = models.JSONField(default=list, blank=True)
    partner_id_snapshot = models.BigIntegerField(null=True, blank=True)
    # What goes out with the text, as it was at this revision: the assets ({key, name, sha256, caption}) and the
    # channel versions edited by hand ({publication, channel, name, kind, fields}). Review approves all of it.
    assets = models.JSONField(default=list, blank=True)
    channel_versions = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("保存人")
    )
    created_at = models.DateTimeField(_("保存时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["story", "number"], name="unique_revision_number")]
        verbose_name = _("版本")
        verbose_name_plural = _("版本")

    def __str__(self) -> str:
        return f"{self.story_id} r{self.number}"


class AssetKind(models.TextChoices):
    IMAGE = "image", _("图片")
    AUDIO = "audio", _("音频")
    VIDEO = "video", _("视频")
    DOCUMENT = "document", _("文档")


def _asset_path(instance: "Asset", filename: str) -> str:
    # Random, extension-less names: nothing uploaded can be guessed, executed or served by type sniffing.
    key = instance.key.hex
    return f"assets/{key[:2]}/{key}"


def _thumb_path(instance: "Asset", filename: str) -> str:
    key = instance.key.hex
    return f"thumbs/{key[:2]}/{key}.jpg"


class Asset(models.Model):
    """An uploaded file (素材) attached to a story; served only through a view that checks access."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("类型"), max_length=16, choices=AssetKind.choices)
    mime_type = models.CharField(max_length=100)
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_asset_path, max_length=200)
    thumbnail = models.FileField(upload_to=_thumb_path, max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("素材")
        verbose_name_plural = _("素材")

    def __str__(self) -> str:
        return self.original_name
