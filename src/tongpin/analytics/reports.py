"""Partner reports (合作报告): for one partner and one period — output by cooperation area and channel, top
stories, effect figures with a trend, rankings, commitments, upcoming plans — as HTML and a PDF, built in the
background with its progress on the report row."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.audit import Actor, record
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.pdf import render_pdf
from tongpin.partners.fulfilment import fulfilment, periods_within
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
            "rendition__publication__source_id", "rendition__publication__title", "channel__name", "rendition_id",
            "channel_id", "remote_url",
        )
    )  # fmt: skip
    stories: dict[int, dict] = {}
    by_channel: Counter = Counter()
    for story_id, title, channel, rendition_id, _channel_id, _url in published:
        entry = stories.setdefault(story_id, {"title": title, "channels": set(), "renditions": set(), "reads": 0})
        entry["channels"].add(channel)
        entry["renditions"].add(rendition_id)
        by_channel[channel] += 1
    for story_id, reads in _story_reads(partner, published, first, last).items():
        stories[story_id]["reads"] = reads
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

    commitments = _commitments(partner, first, last, today)
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
        "story_reads": sum(entry["reads"] for entry in stories.values()),
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


def _commitments(partner: Partner, first: dt.date, last: dt.date, today: dt.date) -> list[dict]:
    """Each commitment in force over the report's span: its periods that fall within the span (named by their
    dates), judged as of the span's end (or today, if sooner; a past span's last period is over) — not the period
    running today."""
    rows = []
    for agreement in partner.agreements.filter(status=AgreementStatus.IN_FORCE):
        for commitment in agreement.commitments.filter(archived_at__isnull=True).select_related("agreement"):
            result = fulfilment(commitment, today=min(last, today), known_on=today, day_over=last < today)
            rows.append({"commitment": commitment, "periods": periods_within(result, first, last)})
    return rows


def _story_reads(partner: Partner, published: list[tuple], first: dt.date, last: dt.date) -> dict[int, int]:
    """Reads per story: the articles that carry it — linked to one of its renditions, or else an article of the
    channel's account (or of the partner's) whose link is the delivery's remote link or whose title is the story's.

    Imports and the WeChat sync never set `Article.rendition`, so matching on the link and title is what ties the
    station's and the partner's posts to the stories; each article counts once, for one story."""
    story_of_rendition = {rendition: story for story, _t, _c, rendition, _ch, _u in published}
    story_of_url = {url: story for story, _t, _c, _r, _ch, url in published if url}
    story_of_title: dict[tuple[int | None, str], int] = {}
    for story, title, _c, _r, channel_id, _u in published:
        story_of_title[(channel_id, title.strip())] = story
        story_of_title[(None, title.strip())] = story  # the partner's own accounts re-post under the same title
    channels = {channel_id for _s, _t, _c, _r, channel_id, _u in published}
    articles = Article.objects.filter(
        Q(rendition_id__in=story_of_rendition)
        | (Q(account__channel_id__in=channels) | Q(account__partner=partner)) & Q(day__gte=first, day__lte=last)
    ).values_list("rendition_id", "url", "title", "account__channel_id", "account__partner_id", "reads")
    reads: Counter = Counter()
    for rendition_id, url, title, channel_id, partner_id, value in articles:
        story = (
            story_of_rendition.get(rendition_id)
            or (url and story_of_url.get(url))
            or story_of_title.get((channel_id, title.strip()))
            or (story_of_title.get((None, title.strip())) if partner_id == partner.pk else None)
        )
        if story:
            reads[story] += value
    return reads


def _areas(partner: Partner, stories: dict[int, dict]) -> list[tuple[str, int]]:
    """Stories per cooperation area: a story counts for an area when one of its tags *is* the area's name (the
    exact match the commitments' area tags use), then the stories tagged with none of the areas, if any."""
    from tongpin.newsroom.models import Story

    areas: list[str] = []
    for agreement in partner.agreements.exclude(status=AgreementStatus.DRAFT):
        areas += [a.strip() for a in agreement.areas if a.strip() not in areas]
    tags_of: dict[int, set] = {story_id: set() for story_id in stories}
    for story_id, tag in Story.objects.filter(pk__in=stories, tags__name__in=areas).values_list("pk", "tags__name"):
        tags_of[story_id].add(tag)
    rows = [(area, sum(1 for tags in tags_of.values() if area in tags)) for area in areas]
    untagged = sum(1 for tags in tags_of.values() if not tags)
    if areas and untagged:
        rows.append((_("未标注合作领域"), untagged))
    return rows


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
