"""API of the core: who am I, and the audit log for admins."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from . import roles
from .auditlog import AuditFilters, browse_audit
from .errors import FieldError, Forbidden

router = Router(tags=["core"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    partner: str | None


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request):
    user = request.auth
    liaison = getattr(user, "liaison", None) if user.role == roles.Role.PARTNER_LIAISON else None
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=str(user),
        role=user.role,
        role_label=str(user.get_role_display()),
        partner=liaison.partner.slug if liaison else None,
    )


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    ip: str | None
    via: str


class AuditPageOut(Schema):
    count: int
    page: int
    results: list[AuditOut]


class AuditQuery(Schema):
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1


@router.get("/audit", response=AuditPageOut, summary="Browse the audit log (admins)")
def audit_log(request, filters: Query[AuditQuery]):
    if not roles.can(request.auth, roles.AUDIT_VIEW):
        raise Forbidden(FieldError("forbidden", _("只有管理员可以查看审计日志。")))
    page = browse_audit(AuditFilters(**filters.dict(exclude={"page"})), filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "results": [
            AuditOut(
                id=e.pk,
                at=e.at,
                actor=e.actor_name,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                object_repr=e.object_repr,
                changes=e.changes,
                ip=e.ip,
                via=e.via,
            )
            for e in page
        ],
    }
