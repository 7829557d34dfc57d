from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import roles
from .audit import actor_from_request
from .auditlog import AuditFilters, browse_audit, export_audit, verify_chain
from .errors import DomainError, flash_errors
from .forms import AuditExportForm, AuditFilterForm
from .pages import attempt


@login_required
def audit_log(request):
    if not roles.can(request.user, roles.AUDIT_VIEW):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = AuditFilters(**{k: v for k, v in form.cleaned_data.items() if v}) if form.is_valid() else AuditFilters()
    page = browse_audit(filters, request.GET.get("page") or 1)
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "page": page, "query_string": params.urlencode()}
    if roles.can(request.user, roles.AUDIT_EXPORT):
        dates = form.cleaned_data if form.is_valid() else {}
        context["export_form"] = AuditExportForm(
            initial={"date_from": dates.get("date_from"), "date_to": dates.get("date_to"), "format": "jsonl"}
        )
    return render(request, "core/audit_log.html", context)


@login_required
@require_POST
def audit_export(request):
    """Download a date range of the audit log with its chain hashes (audit administrators; audited)."""
    if not roles.can(request.user, roles.AUDIT_EXPORT):
        raise PermissionDenied
    form = AuditExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("导出条件有误，请检查日期。"))
        return redirect("audit-log")
    data = form.cleaned_data
    done = attempt(request, lambda actor: export_audit(actor, data["date_from"], data["date_to"], data["format"]))
    if not done.ok:
        return redirect("audit-log")
    export = done.value
    response = StreamingHttpResponse(export.lines, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response


@login_required
@require_POST
def audit_verify(request):
    """Walk the hash chain now and say whether it holds (audit administrators; audited)."""
    if not roles.can(request.user, roles.AUDIT_EXPORT):
        raise PermissionDenied
    result = verify_chain(actor_from_request(request))
    if result.ok:
        messages.success(request, _("哈希链完整：共 %(n)s 条记录，未发现篡改或缺失。") % {"n": result.count})
    else:
        messages.error(request, _("哈希链断裂：第 %(seq)s 条（链序号）起%(what)s。") % {
            "seq": result.broken.seq if result.broken.seq is not None else "?",
            "what": BROKEN_WORDS.get(result.broken.code, result.broken.code),
        })  # fmt: skip
    return redirect("audit-log")


BROKEN_WORDS = {
    "missing": gettext_lazy("有记录缺失"),
    "prev_mismatch": gettext_lazy("与前一条记录接不上"),
    "hash_mismatch": gettext_lazy("内容在写入后被改动"),
    "unchained": gettext_lazy("有记录未进入哈希链"),
    "anchor_missing": gettext_lazy("之前的记录已删除，但没有相应的清理锚点"),
}


@login_required
def notifications(request):
    if request.method == "POST":
        request.user.notifications.filter(read_at=None).update(read_at=timezone.now())
        return redirect("notifications")
    items = list(request.user.notifications.all()[:100])
    return render(request, "core/notifications.html", {"items": items})


@login_required
def account_roles(request):
    """三员分立: accounts and their roles; security administrators change a role here (the rules:
    core/accounts.py). System administrators see the list."""
    from . import accounts

    actor = actor_from_request(request)
    if not (roles.can(request.user, roles.ROLE_ASSIGN) or roles.can(request.user, roles.USER_MANAGE)):
        raise PermissionDenied
    if request.method == "POST":
        try:
            user = accounts.assign_role(actor, int(request.POST.get("user") or 0), request.POST.get("role", ""))
        except (DomainError, ValueError) as error:
            if isinstance(error, DomainError):
                flash_errors(request, error)
            else:
                messages.error(request, _("账号不存在。"))
        else:
            messages.success(request, _("已将 %(name)s 的角色设为%(role)s。") % {
                "name": user.username, "role": user.get_role_display()})  # fmt: skip
        return redirect("account-roles")
    context = {
        "people": accounts.accounts(actor),
        "role_choices": accounts.assignable_roles(),
        "can_assign": roles.can(request.user, roles.ROLE_ASSIGN),
    }
    return render(request, "core/account_roles.html", context)
