"""Planning (策划). Only what stories link to exists yet: campaigns and topics; the rest comes with planning."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongpin.partners.models import Partner


class Campaign(models.Model):
    title = models.CharField(_("策划名称"), max_length=200)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("合作方"))
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("策划")
        verbose_name_plural = _("策划")

    def __str__(self) -> str:
        return self.title


class Topic(models.Model):
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topics",
        verbose_name=_("策划"),
    )
    title = models.CharField(_("选题"), max_length=200)

    class Meta:
        ordering = ["title"]
        verbose_name = _("选题")
        verbose_name_plural = _("选题")

    def __str__(self) -> str:
        return self.title
