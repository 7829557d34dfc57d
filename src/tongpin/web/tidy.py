"""Keep it tidy (docs/operations.md): what grows without end is deleted after TONGPIN_RETENTION_DAYS, and a report
whose build died with its worker is retried once or failed, never left at 生成中. Run by `tongpin worker` (a
periodic hook, at most once per TONGPIN_TIDY_EVERY seconds per worker). The audit log is purged only when
TONGPIN_KEEP_AUDIT_DAYS is set (at least 180 days), through its anchored purge (core/auditchain.py).

Every step is idempotent (a delete by age, or a conditional UPDATE), so two workers tidying at once do no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)
_last_run = {"at": None}


def _cutoff(kind: str, now: dt.datetime) -> dt.datetime | None:
    days = settings.TONGPIN_RETENTION_DAYS.get(kind, 0)
    return now - dt.timedelta(days=days) if days > 0 else None  # 0: kept for ever


def prune_task_results(now: dt.datetime) -> int:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = _cutoff("task_results", now)
    if cutoff is None:
        return 0
    finished = [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    return DBTaskResult.objects.filter(status__in=finished, finished_at__lt=cutoff).delete()[0]


def prune_delivery_attempts(now: dt.datetime) -> int:
    from tongpin.publishing.models import DeliveryAttempt

    cutoff = _cutoff("delivery_attempts", now)
    return DeliveryAttempt.objects.filter(finished_at__lt=cutoff).delete()[0] if cutoff else 0


def prune_read_notifications(now: dt.datetime) -> int:
    from tongpin.core.models import Notification

    cutoff = _cutoff("read_notifications", now)
    return Notification.objects.filter(read_at__lt=cutoff).delete()[0] if cutoff else 0


def prune_alert_audio(now: dt.datetime) -> int:
    from tongpin.alerts.renditions import audio_folder

    cutoff = _cutoff("alert_audio", now)
    folder = audio_folder()
    if cutoff is None or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.wav"):
        if path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def prune_import_files(now: dt.datetime) -> int:
    """The uploaded spreadsheets go; the import's row (who, when, what it wrote, its hash) stays."""
    from tongpin.analytics.models import MetricImport

    cutoff = _cutoff("import_files", now)
    if cutoff is None:
        return 0
    removed = 0
    for metric_import in MetricImport.objects.filter(created_at__lt=cutoff).exclude(file=""):
        Path(metric_import.file.path).unlink(missing_ok=True)
        MetricImport.objects.filter(pk=metric_import.pk).update(file="")
        removed += 1
    return removed


def purge_audit(now: dt.datetime) -> int:
    """The audit log's retention purge (TONGPIN_KEEP_AUDIT_DAYS; 0, the default, keeps everything)."""
    from tongpin.core import audit, auditchain

    if not settings.TONGPIN_KEEP_AUDIT_DAYS:
        return 0
    return auditchain.purge(audit.SYSTEM, now=now).deleted


def sweep_stuck_reports(now: dt.datetime) -> dict[str, int]:
    """A report build still RUNNING after TONGPIN_REPORT_STUCK_MINUTES lost its worker: the task result is failed
    (a conditional UPDATE, so one sweeper wins) and the report is queued again once; a retry that gets stuck as
    well fails the report with a message."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from tongpin.analytics.models import PartnerReport, ReportStatus
    from tongpin.analytics.tasks import build_report

    path = build_report.module_path
    cutoff = now - dt.timedelta(minutes=settings.TONGPIN_REPORT_STUCK_MINUTES)
    outcome = {"retried": 0, "failed": 0}
    stuck = DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    for result in stuck:
        report_id = result.args_kwargs["args"][0]
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED, finished_at=now, exception_class_path="tongpin.web.tidy.WorkerLost",
                traceback="the worker running this task stopped before it finished (swept by tongpin.web.tidy)",
            )  # fmt: skip
            if not taken:
                continue
            tries = sum(
                1
                for args in DBTaskResult.objects.filter(task_path=path).values_list("args_kwargs", flat=True)
                if args.get("args") == [report_id]
            )
            report = PartnerReport.objects.filter(pk=report_id, status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING])
            if tries < 2 and report.update(status=ReportStatus.QUEUED, progress=0, error=""):
                transaction.on_commit(lambda rid=report_id: build_report.enqueue(rid))
                outcome["retried"] += 1
            elif report.update(status=ReportStatus.FAILED, error="后台进程中断，报告未能生成，请重新生成。"):
                outcome["failed"] += 1
    return outcome


def tidy(now: dt.datetime | None = None) -> dict[str, object]:
    """One pass of everything above; returns what each step did."""
    now = now or timezone.now()
    return {
        "task_results": prune_task_results(now),
        "delivery_attempts": prune_delivery_attempts(now),
        "read_notifications": prune_read_notifications(now),
        "alert_audio": prune_alert_audio(now),
        "import_files": prune_import_files(now),
        "audit_events": purge_audit(now),
        "stuck_reports": sweep_stuck_reports(now),
    }


def periodic_tidy() -> dict | None:
    """The worker's hook: tidy at most once per TONGPIN_TIDY_EVERY seconds."""
    last = _last_run["at"]
    if last is not None and time.monotonic() - last < settings.TONGPIN_TIDY_EVERY:
        return None
    _last_run["at"] = time.monotonic()
    done = tidy()
    log.info("tidied: %s", done)
    return done
