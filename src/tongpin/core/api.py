"""API of the core: who am I, and the audit log for admins."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from . import roles
from .auditlog import AuditFilters, browse_audit
from .errors import FieldError, Forbidden, NotFound

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


# --- sign-in security (docs/security.md, 身份鉴别与会话) -------------------------------------------------------


class TwoFactorOut(Schema):
    enrolled: bool
    required: bool
    recovery_codes_left: int


class AccountSecurityOut(Schema):
    username: str
    is_active: bool
    two_factor: TwoFactorOut
    password_changed_at: dt.datetime
    password_expires_at: dt.datetime | None
    last_login: dt.datetime | None


def _security(user) -> AccountSecurityOut:
    from django.conf import settings

    from . import passwords, policy, twofactor

    changed = passwords.changed_at(user)
    days = settings.TONGPIN_PASSWORD_MAX_AGE_DAYS
    return AccountSecurityOut(
        username=user.username,
        is_active=user.is_active,
        two_factor=TwoFactorOut(
            enrolled=twofactor.enrolled(user),
            required=policy.two_factor_required(user),
            recovery_codes_left=twofactor.recovery_codes_left(user),
        ),
        password_changed_at=changed,
        password_expires_at=changed + dt.timedelta(days=days) if days > 0 else None,
        last_login=user.last_login,
    )


@router.get("/me/security", response=AccountSecurityOut, summary="My sign-in security: second factor, password age")
def my_security(request):
    if request.auth.role in roles.MACHINE_ROLES:  # no web sign-in, so nothing to tell (and the guard's backstop)
        raise Forbidden(FieldError("machine_account", _("接口账号不能登录网页。")))
    return _security(request.auth)


def _account(request, username: str):
    from .models import User

    if not roles.can(request.auth, roles.ACCOUNT_MANAGE):
        raise Forbidden(FieldError("forbidden", _("只有管理员可以管理他人的账号。")))
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(FieldError("not_found", _("没有这个账号。"), "username"))
    return user


@router.get("/users/{username}/security", response=AccountSecurityOut, summary="A user's sign-in security (admins)")
def user_security(request, username: str):
    return _security(_account(request, username))


@router.post(
    "/users/{username}/two-factor/reset",
    response=AccountSecurityOut,
    summary="Remove a user's second factor (lost phone and codes; admins, audited)",
)
def reset_two_factor(request, username: str):
    from . import twofactor
    from .audit import actor_from_request

    user = _account(request, username)
    twofactor.remove(actor_from_request(request, via="api"), user, by_admin=True)
    return _security(user)


@router.post("/users/{username}/enable", response=AccountSecurityOut, summary="Re-enable a disabled account (admins)")
def enable_account(request, username: str):
    from . import accounts
    from .audit import actor_from_request

    user = _account(request, username)
    accounts.enable(actor_from_request(request, via="api"), user)
    user.refresh_from_db()
    return _security(user)
