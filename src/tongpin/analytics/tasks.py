"""Background work of analytics (run by `tongpin worker`)."""

from django_tasks import task

from .models import PartnerReport


@task()
def build_report(report_id: int) -> int:
    from .reports import build

    report = PartnerReport.objects.select_related("partner").get(pk=report_id)
    build(report)
    return report.pk
