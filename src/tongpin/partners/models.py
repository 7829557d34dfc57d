from django.conf import settings
from django.db import models
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
