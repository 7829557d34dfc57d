"""Keep it tidy (docs/operations.md): retention by age, the sweep of report builds whose worker died, and one
scheduled report per partner and month even when two workers schedule at once."""

import datetime as dt
import os

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tongpin.alerts.renditions import audio_folder
from tongpin.analytics.models import MetricImport, PartnerReport, ReportStatus
from tongpin.analytics.tasks import build_report
from tongpin.core.models import AuditEvent, Notification
from tongpin.newsroom.publish import publish_story
from tongpin.publishing.models import DeliveryAttempt
from tongpin.web import tidy

from .conftest import actor
from .publishing_support import approved_story, drain, make_channel

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=400)


def _task_result(status: str, finished_at, report_id: int = 1) -> DBTaskResult:
    result = DBTaskResult.objects.get(pk=build_report.enqueue(report_id).id)
    DBTaskResult.objects.filter(pk=result.pk).update(status=status, finished_at=finished_at, started_at=finished_at)
    return result


def test_retention_deletes_what_is_old_and_keeps_the_rest(users, settings, tmp_path):
    # Task results: old finished ones go; a recent one and an old one still waiting stay.
    old_done = _task_result(TaskResultStatus.SUCCESSFUL, LONG_AGO)
    old_failed = _task_result(TaskResultStatus.FAILED, LONG_AGO)
    recent = _task_result(TaskResultStatus.SUCCESSFUL, NOW)
    waiting = DBTaskResult.objects.get(pk=build_report.enqueue(2).id)
    # Delivery attempts: one real delivery, its attempt aged.
    hook = make_channel(users["admin"], "app", "file_drop", folder="app")
    publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [hook.pk])
    drain()
    DeliveryAttempt.objects.update(finished_at=LONG_AGO)
    publish_story(actor(users["desk"]), approved_story(users["reporter"], title="新的").pk, [hook.pk])
    drain()
    assert DeliveryAttempt.objects.count() == 2
    # Notifications: read long ago goes; unread (however old) and read recently stay.
    read_old = Notification.objects.create(user=users["editor"], text="旧", read_at=LONG_AGO, created_at=LONG_AGO)
    unread_old = Notification.objects.create(user=users["editor"], text="未读", created_at=LONG_AGO)
    read_new = Notification.objects.create(user=users["editor"], text="新", read_at=NOW)
    # Alert audio by file age.
    folder = audio_folder()
    folder.mkdir(parents=True)
    (folder / "old.wav").write_bytes(b"RIFF")
    (folder / "new.wav").write_bytes(b"RIFF")
    os.utime(folder / "old.wav", (LONG_AGO.timestamp(),) * 2)
    # Import files: the file goes, the row stays.
    old_import = MetricImport(format="wechat", original_name="wx.csv", sha256="a" * 64, status="done",
                              created_at=LONG_AGO)  # fmt: skip
    old_import.file.save("wx.csv", ContentFile(b"a,b\n"))
    new_import = MetricImport(format="wechat", original_name="wx2.csv", sha256="b" * 64, status="done")
    new_import.file.save("wx2.csv", ContentFile(b"a,b\n"))
    old_path = old_import.file.path
    audit_rows = AuditEvent.objects.count()

    done = tidy.tidy(NOW)

    assert done["task_results"] == 2 and done["delivery_attempts"] == 1 and done["read_notifications"] == 1
    assert done["alert_audio"] == 1 and done["import_files"] == 1
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not DBTaskResult.objects.filter(pk__in=[old_done.pk, old_failed.pk]).exists()
    assert DeliveryAttempt.objects.count() == 1
    assert set(Notification.objects.filter(pk__in=[read_old.pk, unread_old.pk, read_new.pk])) == {unread_old, read_new}
    assert [p.name for p in folder.iterdir()] == ["new.wav"]
    old_import.refresh_from_db()
    assert not old_import.file and not os.path.exists(old_path)
    assert MetricImport.objects.get(pk=new_import.pk).file
    assert AuditEvent.objects.count() == audit_rows  # the audit log is never pruned

    # 0 days keeps things for ever.
    settings.TONGPIN_RETENTION_DAYS = {key: 0 for key in settings.TONGPIN_RETENTION_DAYS}
    assert tidy.tidy(NOW + dt.timedelta(days=4000))["task_results"] == 0


def _stuck_report(partners) -> PartnerReport:
    report = PartnerReport.objects.create(partner=partners["zone"], period="month", status=ReportStatus.RUNNING,
                                          starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 30))  # fmt: skip
    result = DBTaskResult.objects.get(pk=build_report.enqueue(report.pk).id)
    started = NOW - dt.timedelta(hours=3)
    DBTaskResult.objects.filter(pk=result.pk).update(status=TaskResultStatus.RUNNING, started_at=started)
    return report


def test_a_report_left_by_a_dead_worker_is_retried_once_then_failed(partners, django_capture_on_commit_callbacks):
    report = _stuck_report(partners)
    fresh = PartnerReport.objects.create(partner=partners["em"], period="month", status=ReportStatus.RUNNING,
                                         starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 30))  # fmt: skip
    busy = DBTaskResult.objects.get(pk=build_report.enqueue(fresh.pk).id)
    DBTaskResult.objects.filter(pk=busy.pk).update(status=TaskResultStatus.RUNNING, started_at=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        assert tidy.sweep_stuck_reports(NOW) == {"retried": 1, "failed": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    retry = DBTaskResult.objects.filter(status=TaskResultStatus.READY).get()
    assert retry.args_kwargs["args"] == [report.pk]
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    assert tidy.sweep_stuck_reports(NOW) == {"retried": 0, "failed": 0}  # swept once, not again
    assert PartnerReport.objects.get(pk=fresh.pk).status == ReportStatus.RUNNING  # a build in time is left alone

    # The retry's worker dies too: now the report fails with a message instead of building for ever.
    DBTaskResult.objects.filter(pk=retry.pk).update(status=TaskResultStatus.RUNNING, started_at=LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        assert tidy.sweep_stuck_reports(NOW) == {"retried": 0, "failed": 1}
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "中断" in report.error


def test_one_scheduled_report_per_partner_and_period(partners):
    fields = {"partner": partners["zone"], "period": "month", "starts_on": dt.date(2026, 11, 1),
              "ends_on": dt.date(2026, 11, 30)}  # fmt: skip
    PartnerReport.objects.create(**fields, scheduled=True)
    PartnerReport.objects.create(**fields)  # one made by hand for the same month is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerReport.objects.create(**fields, scheduled=True)
