from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone

from . import roles
from .auditlog import AuditFilters, browse_audit
from .forms import AuditFilterForm


@login_required
def audit_log(request):
    if not roles.can(request.user, roles.AUDIT_VIEW):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = AuditFilters(**{k: v for k, v in form.cleaned_data.items() if v}) if form.is_valid() else AuditFilters()
    page = browse_audit(filters, request.GET.get("page") or 1)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "core/audit_log.html", {"form": form, "page": page, "query_string": params.urlencode()})


@login_required
def notifications(request):
    if request.method == "POST":
        request.user.notifications.filter(read_at=None).update(read_at=timezone.now())
        return redirect("notifications")
    items = list(request.user.notifications.all()[:100])
    return render(request, "core/notifications.html", {"items": items})
