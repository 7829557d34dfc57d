from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

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
