"""REST endpoints for analytics: accounts and peer groups, imports, figures, rankings, the WeChat data sync and
partner reports (a liaison sees only their own partner's reports)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.access import api_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.core.resources import Resource, on_one, whole_payload
from tongpin.core.schemas import ERRORS
from tongpin.partners.services import get_partner

from . import imports, reports, services, wechat_data
from .formats import FORMATS, Format
from .indices import DEFAULT_FORMULA, WCI_FORMULAS
from .models import Account, Article, MetricImport, PartnerReport, PeerGroup, Platform
from .periods import period
from .rankings import Row, rank

router = Router(tags=["analytics"])


def lookup_of(model, missing: StrPromise, *capabilities: str, related: tuple[str, ...] = ()):
    """The lookup `(user, pk)` of an analytics row: 403 without any of `capabilities` (an area check that tells
    nothing about the row, so it comes first), then 404 `missing` for an id that does not exist."""

    def lookup(user, pk: int):
        if capabilities:
            roles.require_any(user, *capabilities)
        found = model.objects.select_related(*related).filter(pk=pk).first()
        if found is None:
            raise NotFound(FieldError("not_found", str(missing)))
        return found

    return lookup


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


# Writes: the services require metrics.import.
GROUPS = Resource("group", PeerGroup, input=GroupIn, output=GroupOut,
                  lookup=lookup_of(PeerGroup, gettext_lazy("排名分组不存在。")),
                  needs={"list": roles.METRICS_VIEW}, rows=lambda user: PeerGroup.objects.all(),
                  save=services.save_group, values=whole_payload,
                  summaries={"list": "Peer groups", "create": "Create a peer group"})  # fmt: skip
GROUPS.routes(router, "/analytics/groups", "group_id", verbs=("list", "create"), size=None)


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
    return list(services.accounts_in_use(platform, group))


ACCOUNTS = Resource("account", Account, input=AccountIn, output=AccountOut, save=services.save_account,
                    lookup=lookup_of(Account, gettext_lazy("账号不存在。"), roles.METRICS_VIEW), values=_account_values,
                    summaries={"create": "Register an account (ours, a partner's or a peer's)"})  # fmt: skip
ACCOUNTS.routes(router, "/analytics/accounts", "account_id", verbs=("create",))


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
def account_articles(request, account_id: int, limit: int = 100):
    account = ACCOUNTS.one(request, account_id)
    return list(account.articles.all()[: max(1, min(limit, 1000))])


class SyncIn(Schema):
    start: dt.date
    end: dt.date


class ChangedCountOut(Schema):
    changed: int


@on_one(router.post, "/analytics/accounts/{account_id}/sync",
        lookup_of(Account, gettext_lazy("账号不存在。"), roles.METRICS_IMPORT, related=("channel",)), ChangedCountOut,
        "Fetch figures from the WeChat data API")  # fmt: skip
def accounts_sync(actor, account, payload: SyncIn):
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


class FormatOut(Schema):  # reads a `formats.Format`
    name: str
    label: str
    columns: list[str]
    template_csv: str

    @staticmethod
    def resolve_label(found: Format) -> str:
        return str(found.label)  # translated now

    @staticmethod
    def resolve_columns(found: Format) -> list[str]:
        return [column.headers[0] for column in found.columns]

    @staticmethod
    def resolve_template_csv(found: Format) -> str:
        return f"/analytics/templates/{found.name}.csv"


@router.get("/analytics/formats", response={200: list[FormatOut], **ERRORS}, summary="Import formats")
@api_needs(roles.METRICS_VIEW)
def formats_list(request):
    return list(FORMATS.values())


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


@on_one(router.get, "/analytics/imports/{import_id}", lookup_of(MetricImport, gettext_lazy("导入记录不存在。"),
        roles.METRICS_IMPORT), ImportOut, "One import")  # fmt: skip
def imports_get(actor, record) -> None:
    """Answers the import record."""


class FiguresIn(Schema):
    observed_on: dt.date
    reads: int = Field(ge=0)
    likes: int = Field(0, ge=0)
    wows: int = Field(0, ge=0)
    shares: int = Field(0, ge=0)
    comments: int = Field(0, ge=0)


@on_one(router.post, "/analytics/articles/{article_id}/figures", lookup_of(Article, gettext_lazy("文章不存在。")),
        ArticleOut, "Type in figures")  # fmt: skip
def articles_figures(actor, article, payload: FiguresIn):
    values = payload.dict()
    services.enter_figures(actor, article, values.pop("observed_on"), values)
    article.refresh_from_db()


class RankingQuery(Schema):
    group: int
    period: str = Field("week", pattern="^(day|week|month)$")
    date: dt.date | None = None
    formula: str = Field(DEFAULT_FORMULA, description=f"one of {', '.join(WCI_FORMULAS)}")


class RankingRowOut(Schema):  # reads a `rankings.Row`
    rank: int
    account: str = Field(alias="account.name")
    account_id: int = Field(alias="account.pk")
    score: float
    movement: int | None
    previous_rank: int | None
    inputs: dict

    @staticmethod
    def resolve_inputs(row: Row) -> dict:
        return {name: getattr(row.inputs, name) for name in ("n", "R", "Z", "L", "RE", "Rt", "Rmax")}


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
    group = GROUPS.one(request, query.group)
    if query.formula not in WCI_FORMULAS:
        raise ValidationFailed(FieldError("unknown_formula", _("未知的 WCI 版本。"), "formula"))
    span = period(query.period, query.date or timezone.localdate())
    rows = rank(list(group.accounts.filter(archived_at=None)), span, query.formula)
    return {"group": group.name, "period": span.kind, "first": span.first, "last": span.last,
            "formula": query.formula, "rows": rows}  # fmt: skip


class ReportIn(Schema):
    partner: str
    period: str = Field(pattern="^(month|quarter|year)$")
    date: dt.date


class PartnerReportOut(Schema):
    id: int
    partner: str = Field(alias="partner.slug")
    period: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    progress: int
    pdf: str | None = Field(description="the PDF's address once generated")
    error: str

    @staticmethod
    def resolve_pdf(report: PartnerReport) -> str | None:
        return f"/reports/{report.pk}/pdf" if report.pdf else None


# A liaison sees their own partner's reports only.
REPORTS = Resource("report", PartnerReport, input=ReportIn, output=PartnerReportOut, lookup=services.get_report,
                   needs={"list": (roles.METRICS_VIEW, roles.PARTNER_VIEW)},
                   rows=lambda user: services.reports_for(user).select_related("partner"),
                   summaries={"list": "Partner reports in scope", "get": "One report and its progress"})  # fmt: skip
REPORTS.routes(router, "/reports", "report_id", verbs=("list", "get"), size=200)


@router.post("/reports", response={202: PartnerReportOut, **ERRORS}, summary="Generate a report in the background")
def reports_create(request, payload: ReportIn):
    partner = get_partner(request.auth, payload.partner)
    report = reports.request_report(actor_from_request(request, "api"), partner, payload.period, payload.date)
    return Status(202, report)
