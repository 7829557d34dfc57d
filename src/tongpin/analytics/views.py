"""Analytics pages: the dashboard, rankings, accounts and peer groups, imports (with templates), figures typed
in by hand, partner reports. Thin: services and the pure modules decide."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request, record_download
from tongpin.core.forms import edit_page, form_page
from tongpin.core.pages import attempt, whole_number
from tongpin.core.spreadsheets import table_response
from tongpin.partners.models import Partner
from tongpin.partners.scope import partner_scope

from . import charts, imports, reports, services
from .dashboard import dashboard as compute_dashboard
from .formats import FORMATS, template_rows
from .forms import AccountForm, FiguresForm, GroupForm, ImportForm, RankingForm, ReportForm
from .indices import DEFAULT_FORMULA
from .models import Account, Article, MetricImport, PeerGroup, Platform, ReportStatus
from .periods import period
from .rankings import rank


@page_needs(roles.METRICS_VIEW)
def dashboard(request):
    figures = compute_dashboard()
    return render(
        request,
        "analytics/dashboard.html",
        {
            "trend_chart": charts.line(figures.weekly_reads, _("本台账号每周阅读量")),
            "split_chart": charts.bars(figures.channel_split, _("近 30 天各渠道发布量")),
            "statuses": figures.statuses,
            "standings": figures.standings,
            "imports": MetricImport.objects.all()[:5],
        },
    )


@page_needs(roles.METRICS_VIEW)
def rankings(request):
    first_group = PeerGroup.objects.first()
    initial = {"period": "week", "formula": DEFAULT_FORMULA, "group": first_group}
    form = RankingForm(request.GET or None, initial=initial)
    group, rows, span = None, [], None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        group = data.get("group") or first_group
        kind = data.get("period") or "week"
        span = period(kind, data.get("date") or timezone.localdate())
        formula = data.get("formula") or DEFAULT_FORMULA
        if group is not None:
            rows = rank(list(group.accounts.filter(archived_at=None)), span, formula)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx") and group is not None:
        headers = [_("名次"), _("账号"), _("指数"), _("变化"), _("文章数"), _("总阅读"), _("总在看"), _("总点赞"),
                   _("总转发"), _("最高阅读")]  # fmt: skip
        table = [[r.rank, r.account.name, r.score, r.movement, r.inputs.n, r.inputs.R, r.inputs.Z, r.inputs.L,
                  r.inputs.RE, r.inputs.Rmax] for r in rows]  # fmt: skip
        return table_response(
            f"{group.name}-{span.label}", headers, table, fmt, actor_from_request(request), "analytics.ranking"
        )
    # A period's ranking is final once its last articles have their day-7 figures (as the dashboard says of months).
    final_on = span.last + dt.timedelta(days=imports.RANKING_AGE) if span is not None else None
    provisional = final_on is not None and final_on > timezone.localdate()
    context = {"form": form, "group": group, "rows": rows, "span": span}
    return render(request, "analytics/rankings.html", {**context, "provisional": provisional, "final_on": final_on})


@page_needs(roles.METRICS_VIEW)
def account_list(request):
    platform = request.GET.get("platform", "")
    platform = platform if platform in Platform.values else ""
    group = whole_number(request.GET.get("group"), 0)
    accounts = services.accounts_in_use(platform, group)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        headers = [_("平台"), _("账号"), _("排名分组"), _("合作方"), _("本台渠道"), _("粉丝数")]
        table = [[a.get_platform_display(), a.name, str(a.group or ""), str(a.partner or ""), str(a.channel or ""),
                  a.followers] for a in accounts]  # fmt: skip
        return table_response(_("账号"), headers, table, fmt, actor_from_request(request), "analytics.account")
    return render(
        request,
        "analytics/accounts.html",
        {
            "accounts": accounts,
            "groups": PeerGroup.objects.annotate(n=Count("accounts")),
            "platforms": Platform.choices,
            "chosen": {"platform": platform, "group": group},
            "can_edit": roles.can(request.user, roles.METRICS_IMPORT),
        },  # fmt: skip
    )


@page_needs(roles.METRICS_IMPORT)
def account_edit(request, account_id: int | None = None):
    back = reverse("analytics-accounts")
    titles = (_("登记账号"), _("修改账号"))
    return edit_page(request, Account, account_id, AccountForm, services.save_account, lambda saved: back, titles, back)


@page_needs(roles.METRICS_IMPORT)
def group_new(request):
    actor = actor_from_request(request)
    return form_page(
        request,
        GroupForm(request.POST or None),
        lambda values: services.save_group(actor, values),
        lambda saved: reverse("analytics-accounts"),
        context={"title": _("新建排名分组"), "back": reverse("analytics-accounts")},
    )


@page_needs(roles.METRICS_VIEW)
def account_articles(request, account_id: int):
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise Http404
    articles = account.articles.all()[:100]
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        headers = [
            _("发布时间"),
            _("位置"),
            _("标题"),
            _("阅读"),
            _("点赞"),
            _("在看"),
            _("转发"),
            _("评论"),
            _("数据为第几天"),
        ]
        table = [[timezone.localtime(a.published_at).strftime("%Y-%m-%d %H:%M"), a.position, a.title, a.reads, a.likes,
                  a.wows, a.shares, a.comments, a.figures_age] for a in articles]  # fmt: skip
        return table_response(account.name, headers, table, fmt, actor_from_request(request), "analytics.article")
    return render(request, "analytics/articles.html", {"account": account, "articles": articles})


@page_needs(roles.METRICS_IMPORT)
def article_figures(request, article_id: int):
    article = Article.objects.select_related("account").filter(pk=article_id).first()
    if article is None:
        raise Http404
    actor = actor_from_request(request)
    return form_page(
        request,
        FiguresForm(request.POST or None, initial={"observed_on": timezone.localdate()}),
        lambda v: services.enter_figures(actor, article, v.pop("observed_on"), v),
        lambda saved: reverse("analytics-articles", args=[article.account_id]),
        context={
            "title": _("录入数据：%(t)s") % {"t": article},
            "back": reverse("analytics-articles", args=[article.account_id]),
            "intro": _("平台没有导出时，按后台显示的数字录入；同一天再次录入会覆盖。"),
        },  # fmt: skip
    )


@page_needs(roles.METRICS_IMPORT)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data, chosen = upload.read(imports.MAX_BYTES + 1), form.cleaned_data
        record = attempt(
            request,
            lambda actor: imports.run_import(
                actor, chosen["format"], upload.name or "upload.csv", data, chosen["accept_partial"]
            ),
            form=form,
        )
        if record.ok:
            return redirect("analytics-import", import_id=record.value.pk)
    return render(
        request,
        "analytics/import.html",
        {"form": form, "formats": FORMATS.values(), "recent": MetricImport.objects.all()[:20]},
    )


@page_needs(roles.METRICS_IMPORT)
def import_detail(request, import_id: int):
    record = MetricImport.objects.filter(pk=import_id).first()
    if record is None:
        raise Http404
    return render(request, "analytics/import_detail.html", {"record": record})


@page_needs(roles.METRICS_IMPORT)
@require_POST
def import_rest(request, import_id: int):
    """Import the valid rows of a file that was refused for its bad rows (the person chose to)."""
    record = MetricImport.objects.filter(pk=import_id).first()
    if record is None or not record.file:
        raise Http404
    with record.file.open("rb") as handle:
        data = handle.read()
    again = attempt(request, lambda actor: imports.run_import(actor, record.format, record.original_name, data, True))
    return redirect("analytics-import", import_id=again.value.pk if again.ok else record.pk)


@page_needs(roles.METRICS_IMPORT)
def import_template(request, name: str, fmt: str):
    spec = FORMATS.get(name)
    if spec is None:
        raise Http404
    header, example = template_rows(spec)
    return table_response(f"tongpin-{name}-template", header, [example], fmt)


# -- reports -------------------------------------------------------------------------------------------------


@login_required
def report_list(request):
    liaison = roles.can(request.user, roles.PARTNER_VIEW) and not partner_scope(request.user).everything
    if not (roles.can(request.user, roles.METRICS_VIEW) or liaison):
        raise PermissionDenied
    reports_qs = services.reports_for(request.user).select_related("partner")
    can_make = roles.can(request.user, roles.REPORT_MANAGE)
    form = (
        ReportForm(request.POST or None, initial={"period": "month", "date": timezone.localdate()})
        if can_make
        else None
    )
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        report = attempt(
            request,
            lambda actor: reports.request_report(actor, data["partner"], data["period"], data["date"]),
            _("已开始生成报告，完成后可在本页查看和下载。"),
        )
        if report.ok:
            return redirect("analytics-report", report_id=report.value.pk)
    context = {"reports": reports_qs[:50], "form": form, "liaison": liaison}
    if liaison:
        context["owners"] = _partner_owners(request.user)
    return render(request, "analytics/reports.html", context)


def _partner_owners(user) -> list:
    """The station staff who look after the liaison's partner: whom to ask about its reports."""
    partner = Partner.objects.filter(pk__in=partner_scope(user).partner_ids).first()
    return list(partner.owners.filter(is_active=True).order_by("username")) if partner else []


@login_required
def report_detail(request, report_id: int):
    report = services.get_report(request.user, report_id)
    template = "analytics/_report_status.html" if request.htmx else "analytics/report.html"
    return render(
        request, template, {"report": report, "running": report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)}
    )


@login_required
def report_pdf(request, report_id: int):
    report = services.get_report(request.user, report_id)
    if not report.pdf:
        raise Http404
    name = f"{report.partner.short_name or report.partner.name}-{report.starts_on:%Y%m%d}-{report.ends_on:%Y%m%d}.pdf"
    record_download(actor_from_request(request), report, name)
    return FileResponse(report.pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")
