"""Partner reports (合作报告): for one partner and one period — output by cooperation area and channel, top
stories, effect figures with a trend, rankings, commitments, upcoming plans — as HTML and a PDF, built in the
background with its progress on the report row."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.audit import Actor, record
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.pdf import render_pdf
from tongpin.partners.fulfilment import fulfilment
from tongpin.partners.models import AgreementStatus, Partner
from tongpin.planning.keydates import upcoming
from tongpin.planning.models import CampaignState, EventState, KeyDate
from tongpin.publishing.listing import delivered_for_partner

from . import charts
from .measures import ranking_final_on
from .models import Account, Article, PartnerReport, ReportStatus
from .periods import period, periods_in
from .rankings import series

PERIODS = ("month", "quarter", "year")


def bounds(kind: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    if kind == "month":
        span = period("month", anchor)
        return span.first, span.last
    if kind == "quarter":
        first = anchor.replace(month=(anchor.month - 1) // 3 * 3 + 1, day=1)
        last = period("month", first.replace(month=first.month + 2)).last
        return first, last
    if kind == "year":
        return anchor.replace(month=1, day=1), anchor.replace(month=12, day=31)
    raise ValidationFailed(FieldError("invalid_period", _("周期须为月、季度或年。"), "period"))


def request_report(actor: Actor, partner: Partner, kind: str, anchor: dt.date) -> PartnerReport:
    roles.require(actor.user, roles.REPORT_MANAGE)
    first, last = bounds(kind, anchor)
    report = PartnerReport.objects.create(
        partner=partner, period=kind, starts_on=first, ends_on=last, created_by=actor.user
    )
    record(actor, "report.request", report, {"period": kind, "from": str(first), "to": str(last)})
    from .tasks import build_report

    build_report.enqueue(report.pk)
    return report


def report_data(partner: Partner, first: dt.date, last: dt.date, progress=lambda n: None) -> dict:
    published = list(
        delivered_for_partner(partner.pk, "story", first, last).values_list(
            "rendition__publication__source_id", "rendition__publication__title", "channel__name", "rendition_id"
        )
    )
    stories: dict[int, dict] = {}
    by_channel: Counter = Counter()
    for story_id, title, channel, rendition_id in published:
        entry = stories.setdefault(story_id, {"title": title, "channels": set(), "renditions": set(), "reads": 0})
        entry["channels"].add(channel)
        entry["renditions"].add(rendition_id)
        by_channel[channel] += 1
    reads = dict(
        Article.objects.filter(rendition_id__in={r for _s, _t, _c, r in published})
        .values_list("rendition_id")
        .annotate(total=Sum("reads"))
    )
    for entry in stories.values():
        entry["reads"] = sum(reads.get(r, 0) for r in entry["renditions"])
    areas = _areas(partner, stories)
    progress(30)

    accounts = list(Account.objects.filter(partner=partner, archived_at=None).select_related("group"))
    articles = Article.objects.filter(account__in=accounts, day__gte=first, day__lte=last)
    totals = articles.aggregate(reads=Sum("reads"), likes=Sum("likes"), shares=Sum("shares"), wows=Sum("wows"))
    weekly = defaultdict(int)
    for day, value in articles.values_list("day", "reads"):
        weekly[period("week", day).first] += value
    today = timezone.localdate()
    # weeks still to come are a gap in the chart (None), not a fall to zero
    trend = [
        (week.first.strftime("%m-%d"), weekly.get(week.first, 0) if week.first <= today else None)
        for week in periods_in("week", first, last)
    ]
    progress(55)

    rankings = []
    grouped = [a for a in accounts if a.group_id is not None] if first <= today else []  # no ranking yet to come
    for account in grouped:
        peers = list(account.group.accounts.filter(archived_at=None))
        for month, rows in series(peers, ["month"], first, min(last, today))["month"]:
            mine = next((r for r in rows if r.account.pk == account.pk), None)
            rankings.append({"account": account, "group": account.group, "month": month.label, "row": mine,
                             "of": len(rows), "provisional": ranking_final_on(month.first) > today})  # fmt: skip
    progress(75)

    commitments = [
        fulfilment(c, today=min(last, today), known_on=today)
        for agreement in partner.agreements.filter(status=AgreementStatus.IN_FORCE)
        for c in agreement.commitments.filter(archived_at__isnull=True).select_related("agreement")
    ]
    after = last + dt.timedelta(days=1)
    plans = {
        "campaigns": partner.campaigns.exclude(state__in=[CampaignState.ARCHIVED, CampaignState.DONE]).filter(
            ends_on__gte=after
        ),
        "events": partner.events.exclude(state=EventState.CANCELLED).filter(starts_on__gte=after),
        "key_dates": upcoming(KeyDate.objects.filter(is_active=True, partner__in=[partner]), after, 90)
        + upcoming(KeyDate.objects.filter(is_active=True, partner__isnull=True), after, 90),
    }
    top = sorted(stories.values(), key=lambda s: (-s["reads"], -len(s["channels"]), s["title"]))[:10]
    from tongpin.live.services import sales

    live_sales = sales(partner=partner, first=first, last=last)
    return {
        "partner": partner,
        "first": first,
        "last": last,
        "story_count": len(stories),
        "delivery_count": len(published),
        "by_channel": by_channel.most_common(),
        "areas": areas,
        "top": top,
        "totals": {k: v or 0 for k, v in totals.items()},
        "trend": trend,
        "trend_chart": charts.line(trend, _("每周阅读量")),
        "channel_chart": charts.bars(by_channel.most_common(12), _("各渠道发布量")),
        "rankings": rankings,
        "commitments": commitments,
        "plans": plans,
        "live_sales": live_sales,
        "generated_at": timezone.now(),
    }


def _areas(partner: Partner, stories: dict[int, dict]) -> list[tuple[str, int]]:
    """Stories per cooperation area (the agreement's areas, matched against story tags)."""
    from tongpin.newsroom.models import Story

    areas = []
    for agreement in partner.agreements.exclude(status=AgreementStatus.DRAFT):
        areas += [a for a in agreement.areas if a not in areas]
    tagged = Story.objects.filter(pk__in=stories).values_list("pk", "tags__name")
    tags_of: dict[int, set] = defaultdict(set)
    for story_id, tag in tagged:
        tags_of[story_id].add(tag)
    return [(area, sum(1 for tags in tags_of.values() if any(area in (t or "") for t in tags))) for area in areas]


def build(report: PartnerReport) -> PartnerReport:
    def progress(value: int) -> None:
        PartnerReport.objects.filter(pk=report.pk).update(progress=value)

    PartnerReport.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, progress=5)
    try:
        data = report_data(report.partner, report.starts_on, report.ends_on, progress)
        html = render_to_string("analytics/report_print.html", {**data, "report": report})
        progress(85)
        pdf, _pages = render_pdf(html)
        report.html = render_to_string("analytics/_report_body.html", {**data, "report": report})
        report.pdf.save(f"{report.pk}.pdf", ContentFile(pdf), save=False)
        report.status, report.progress, report.finished_at = ReportStatus.DONE, 100, timezone.now()
        report.save(update_fields=["html", "pdf", "status", "progress", "finished_at"])
        if report.mail_to and report.mailed_at is None:
            _mail(report, pdf)
    except Exception as error:  # noqa: BLE001  (a failed build is shown on the report; the worker goes on)
        PartnerReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error=str(error)[:300])
        raise
    return report


def _mail(report: PartnerReport, pdf: bytes) -> None:
    from django.core.mail import EmailMessage

    name = report.partner.short_name or report.partner.name
    subject = _("[同频] %(p)s 宣传合作报告（%(a)s — %(b)s）") % {"p": name, "a": report.starts_on, "b": report.ends_on}
    message = EmailMessage(subject, _("附件为本期宣传合作报告。"), to=report.mail_to)
    message.attach(f"{name}-{report.starts_on:%Y%m}.pdf", pdf, "application/pdf")
    message.send(fail_silently=False)
    PartnerReport.objects.filter(pk=report.pk).update(mailed_at=timezone.now())


def schedule_monthly(today: dt.date | None = None) -> int:
    """On (or after) the 1st: last month's report for each partner with an agreement in force, once, e-mailed to
    its liaisons and contacts that have an address. Run by `tongpin worker` when TONGPIN_REPORT_SCHEDULE=monthly."""
    from django.conf import settings

    if settings.TONGPIN_REPORT_SCHEDULE != "monthly":
        return 0
    today = today or timezone.localdate()
    first, last = bounds("month", today.replace(day=1) - dt.timedelta(days=1))
    made = 0
    partners = Partner.objects.filter(archived_at__isnull=True, agreements__status=AgreementStatus.IN_FORCE).distinct()
    for partner in partners:
        addresses = sorted(
            {u.user.email for u in partner.liaisons.select_related("user") if u.user.email and u.user.is_active}
            | {c.email for c in partner.contacts.all() if c.email}
        )
        if not addresses:
            continue
        try:
            with transaction.atomic():
                report = PartnerReport.objects.create(partner=partner, period="month", starts_on=first, ends_on=last,
                                                      scheduled=True, mail_to=addresses)  # fmt: skip
                record(Actor(user=None, via="schedule"), "report.scheduled", report, {"to": addresses})
        except IntegrityError:  # another worker scheduled this one a moment ago (unique constraint)
            continue
        from .tasks import build_report

        build_report.enqueue(report.pk)
        made += 1
    return made
