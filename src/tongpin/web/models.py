from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BackupRun(models.Model):
    """One scheduled backup. The unique slot (e.g. "daily:2026-12-02") is how one worker, and only one, takes
    the day's backup: whoever inserts the row first runs it (web/backups.py)."""

    slot = models.CharField(max_length=40, unique=True)
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("定时备份")
        verbose_name_plural = _("定时备份")

    def __str__(self) -> str:
        return self.slot
