"""REST endpoints for analytics: accounts and peer groups, imports, figures, rankings, the WeChat data sync and
partner reports (a liaison sees only their own partner's reports)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.access import api_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.core.schemas import ERRORS
from tongpin.partners.services import get_partner

from . import imports, reports, services, wechat_data
from .formats import FORMATS
from .indices import DEFAULT_FORMULA, WCI_FORMULAS
from .models import Account, Article, MetricImport, PartnerReport, PeerGroup, Platform
from .periods import period
from .rankings import rank

router = Router(tags=["analytics"])


class GroupIn(Schema):
    name: str
    platform: Platform = Platform.WECHAT
    description: str = ""


class GroupOut(GroupIn):
    id: int


class AccountIn(Schema):
    platform: Platform = Platform.WECHAT
    name: str
    external_id: str = ""
    group_id: int | None = None
    partner: str | None = None
    channel_id: int | None = None


class AccountOut(Schema):
    id: int
    platform: str
    name: str
    external_id: str
    group_id: int | None
    partner: str | None = Field(None, alias="partner.slug")
    channel_id: int | None
    followers: int


@router.get("/analytics/groups", response={200: list[GroupOut], **ERRORS}, summary="Peer groups")
@api_needs(roles.METRICS_VIEW)
def groups_list(request):
    return list(PeerGroup.objects.all())


@router.post("/analytics/groups", response={201: GroupOut, **ERRORS}, summary="Create a peer group")
def groups_create(request, payload: GroupIn):
    group = services.save_group(actor_from_request(request, "api"), payload.dict())
    return Status(201, {"id": group.pk, **payload.dict()})


def _account_values(request, payload: AccountIn) -> dict:
    values = payload.dict(exclude_unset=True)
    if "group_id" in values:
        pk = values.pop("group_id")
        values["group"] = PeerGroup.objects.filter(pk=pk).first() if pk else None
        if pk and values["group"] is None:
            raise ValidationFailed(FieldError("unknown_group", _("排名分组不存在。"), "group_id"))
    if "partner" in values:
        values["partner"] = get_partner(request.auth, values["partner"]) if values["partner"] else None
    if "channel_id" in values:
        from tongpin.publishing.models import Channel

        pk = values.pop("channel_id")
        values["channel"] = Channel.objects.filter(pk=pk).first() if pk else None
    return values


@router.get("/analytics/accounts", response={200: list[AccountOut], **ERRORS}, summary="Accounts")
@api_needs(roles.METRICS_VIEW)
def accounts_list(request, platform: str = "", group: int | None = None):
    rows = Account.objects.filter(archived_at=None).select_related("partner")
    if platform:
        rows = rows.filter(platform=platform)
    if group:
        rows = rows.filter(group_id=group)
    return list(rows)


@router.post(
    "/analytics/accounts",
    response={201: AccountOut, **ERRORS},
    summary="Register an account (ours, a partner's or a peer's)",
)
def accounts_create(request, payload: AccountIn):
    account = services.save_account(actor_from_request(request, "api"), _account_values(request, payload))
    return Status(201, account)


class ArticleOut(Schema):
    id: int
    title: str
    url: str
    published_at: dt.datetime
    position: int
    reads: int
    likes: int
    wows: int
    shares: int
    comments: int
    figures_age: int = Field(description="the day after publication the figures are from (7 where available)")


@router.get("/analytics/accounts/{account_id}/articles", response={200: list[ArticleOut], **ERRORS}, summary="Articles")
@api_needs(roles.METRICS_VIEW)
def account_articles(request, account_id: int, limit: int = 100):
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise NotFound(FieldError("not_found", _("账号不存在。")))
    return list(account.articles.all()[: max(1, min(limit, 1000))])


class SyncIn(Schema):
    start: dt.date
    end: dt.date


class ChangedCountOut(Schema):
    changed: int


@router.post(
    "/analytics/accounts/{account_id}/sync",
    response={200: ChangedCountOut, **ERRORS},
    summary="Fetch figures from the WeChat data API",
)
@api_needs(roles.METRICS_IMPORT)
def accounts_sync(request, account_id: int, payload: SyncIn):
    account = Account.objects.select_related("channel").filter(pk=account_id).first()
    if account is None:
        raise NotFound(FieldError("not_found", _("账号不存在。")))
    if payload.end < payload.start or (payload.end - payload.start).days > 31 or payload.end >= timezone.localdate():
        raise ValidationFailed(FieldError("bad_range", _("日期范围须在昨天以前，且不超过 31 天。"), "end"))
    return {"changed": wechat_data.sync(account, payload.start, payload.end)}


class ImportOut(Schema):
    id: int
    format: str
    original_name: str
    status: str
    rows_total: int
    rows_written: int
    errors: list[dict]


class FormatOut(Schema):
    name: str
    label: str
    columns: list[str]
    template_csv: str


@router.get("/analytics/formats", response={200: list[FormatOut], **ERRORS}, summary="Import formats")
@api_needs(roles.METRICS_VIEW)
def formats_list(request):
    return [{"name": f.name, "label": str(f.label), "columns": [c.headers[0] for c in f.columns],
             "template_csv": f"/analytics/templates/{f.name}.csv"} for f in FORMATS.values()]  # fmt: skip


@router.post(
    "/analytics/imports",
    response={201: ImportOut, **ERRORS},
    summary="Import an export file (CSV/XLSX); with errors nothing is written unless accept_partial",
)
def imports_create(request, format: Form[str], file: File[UploadedFile], accept_partial: Form[bool] = False):  # noqa: A002
    data = file.read(imports.MAX_BYTES + 1)
    record = imports.run_import(
        actor_from_request(request, "api"), format, file.name or "upload.csv", data, accept_partial
    )
    return Status(201, record)


@router.get("/analytics/imports/{import_id}", response={200: ImportOut, **ERRORS}, summary="One import")
@api_needs(roles.METRICS_IMPORT)
def imports_get(request, import_id: int):
    record = MetricImport.objects.filter(pk=import_id).first()
    if record is None:
        raise NotFound(FieldError("not_found", _("导入记录不存在。")))
    return record


class FiguresIn(Schema):
    observed_on: dt.date
    reads: int = Field(ge=0)
    likes: int = Field(0, ge=0)
    wows: int = Field(0, ge=0)
    shares: int = Field(0, ge=0)
    comments: int = Field(0, ge=0)


@router.post(
    "/analytics/articles/{article_id}/figures", response={200: ArticleOut, **ERRORS}, summary="Type in figures"
)
def articles_figures(request, article_id: int, payload: FiguresIn):
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise NotFound(FieldError("not_found", _("文章不存在。")))
    values = payload.dict()
    services.enter_figures(actor_from_request(request, "api"), article, values.pop("observed_on"), values)
    article.refresh_from_db()
    return article


class RankingQuery(Schema):
    group: int
    period: str = Field("week", pattern="^(day|week|month)$")
    date: dt.date | None = None
    formula: str = Field(DEFAULT_FORMULA, description=f"one of {', '.join(WCI_FORMULAS)}")


class RankingRowOut(Schema):
    rank: int
    account: str
    account_id: int
    score: float
    movement: int | None
    previous_rank: int | None
    inputs: dict


class RankingOut(Schema):
    group: str
    period: str
    first: dt.date
    last: dt.date
    formula: str
    rows: list[RankingRowOut]


@router.get("/analytics/rankings", response={200: RankingOut, **ERRORS}, summary="A ranking with movement")
@api_needs(roles.METRICS_VIEW)
def rankings_get(request, query: Query[RankingQuery]):
    group = PeerGroup.objects.filter(pk=query.group).first()
    if group is None:
        raise NotFound(FieldError("not_found", _("排名分组不存在。")))
    if query.formula not in WCI_FORMULAS:
        raise ValidationFailed(FieldError("unknown_formula", _("未知的 WCI 版本。"), "formula"))
    span = period(query.period, query.date or timezone.localdate())
    rows = rank(list(group.accounts.filter(archived_at=None)), span, query.formula)
    return {
        "group": group.name, "period": span.kind, "first": span.first, "last": span.last, "formula": query.formula,
        "rows": [{"rank": r.rank, "account": r.account.name, "account_id": r.account.pk, "score": r.score,
                  "movement": r.movement, "previous_rank": r.previous_rank,
                  "inputs": {k: getattr(r.inputs, k) for k in ("n", "R", "Z", "L", "RE", "Rt", "Rmax")}} for r in rows],
    }  # fmt: skip


class ReportIn(Schema):
    partner: str
    period: str = Field(pattern="^(month|quarter|year)$")
    date: dt.date


class PartnerReportOut(Schema):
    id: int
    partner: str
    period: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    progress: int
    pdf: str | None = Field(description="the PDF's address once generated")
    error: str

    @staticmethod
    def resolve_partner(report: PartnerReport) -> str:
        return report.partner.slug

    @staticmethod
    def resolve_pdf(report: PartnerReport) -> str | None:
        return f"/reports/{report.pk}/pdf" if report.pdf else None


@router.get("/reports", response={200: list[PartnerReportOut], **ERRORS}, summary="Partner reports in scope")
@api_needs(roles.METRICS_VIEW, roles.PARTNER_VIEW)
def reports_list(request):
    return list(services.reports_for(request.auth).select_related("partner")[:200])


@router.post("/reports", response={202: PartnerReportOut, **ERRORS}, summary="Generate a report in the background")
def reports_create(request, payload: ReportIn):
    partner = get_partner(request.auth, payload.partner)
    report = reports.request_report(actor_from_request(request, "api"), partner, payload.period, payload.date)
    return Status(202, report)


@router.get("/reports/{report_id}", response={200: PartnerReportOut, **ERRORS}, summary="One report and its progress")
def reports_get(request, report_id: int):
    return services.get_report(request.auth, report_id)
