"""API of the core: who am I, the audit log for audit administrators (browse, export, verify), and accounts'
roles for security administrators (三员分立)."""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from . import accounts, roles
from .audit import actor_from_request
from .auditlog import AuditFilters, browse_audit, export_audit, verify_chain
from .errors import FieldError, Forbidden, NotFound
from .resources import on_one
from .schemas import ERRORS

router = Router(tags=["core"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    partner: str | None


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user")
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


@router.get("/audit", response={200: AuditPageOut, **ERRORS}, summary="Browse the audit log (audit administrators)")
def audit_log(request, filters: Query[AuditQuery]):
    if not roles.can(request.auth, roles.AUDIT_VIEW):
        raise Forbidden(FieldError("forbidden", _("只有审计管理员可以查看审计日志。")))
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


@router.get(
    "/me/security",
    response={200: AccountSecurityOut, **ERRORS},
    summary="My sign-in security: second factor, password age",
)
def my_security(request):
    if request.auth.role in roles.MACHINE_ROLES:  # no web sign-in, so nothing to tell (and the guard's backstop)
        raise Forbidden(FieldError("machine_account", _("接口账号不能登录网页。")))
    return _security(request.auth)


def _named_account(*capabilities: str) -> Callable[[Any, str], Any]:
    """The lookup of someone else's account, for a person holding any of `capabilities` (三员分立: the system
    administrator re-enables accounts, the security administrator resets second factors)."""
    return lambda user, username: _other_account(user, username, capabilities)


def _other_account(caller, username: str, capabilities: tuple[str, ...]):
    from .models import User

    if not any(roles.can(caller, capability) for capability in capabilities):
        raise Forbidden(FieldError("forbidden", _("没有权限管理他人的账号。")))
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(FieldError("not_found", _("没有这个账号。"), "username"))
    return user


@router.get(
    "/users/{username}/security",
    response={200: AccountSecurityOut, **ERRORS},
    summary="A user's sign-in security (admins)",
)
def user_security(request, username: str):
    return _security(_other_account(request.auth, username, (roles.USER_MANAGE, roles.TWO_FACTOR_RESET)))


@on_one(router.post, "/users/{username}/two-factor/reset", _named_account(roles.TWO_FACTOR_RESET), AccountSecurityOut,
        "Remove a user's second factor (lost phone and codes; security administrators, audited)")  # fmt: skip
def reset_two_factor(actor, user):
    from . import twofactor

    twofactor.remove(actor, user, by_admin=True)
    return _security(user)


@on_one(router.post, "/users/{username}/enable", _named_account(roles.USER_MANAGE), AccountSecurityOut,
        "Re-enable a disabled account (system administrators)")  # fmt: skip
def enable_account(actor, user):
    from . import dormancy

    dormancy.enable(actor, user)
    user.refresh_from_db()
    return _security(user)


class AuditExportQuery(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    format: Literal["jsonl", "csv"] = "jsonl"


@router.get(
    "/audit/export",
    response={200: None, **ERRORS},
    summary="Export a date range of the audit log with its hashes (audit administrators)",
)
def audit_export(request, query: Query[AuditExportQuery]):
    if not roles.can(request.auth, roles.AUDIT_EXPORT):
        raise Forbidden(FieldError("forbidden", _("只有审计管理员可以导出审计日志。")))
    export = export_audit(actor_from_request(request, via="api"), query.date_from, query.date_to, query.format)
    response = StreamingHttpResponse(export.lines, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response


class BrokenOut(Schema):
    seq: int | None
    id: int | None
    code: str
    message: str


class VerifyOut(Schema):
    ok: bool
    count: int
    first_seq: int | None
    last_seq: int | None
    head_hash: str
    anchor_seq: int | None
    algorithm: str
    broken: BrokenOut | None


@router.post(
    "/audit/verify",
    response={200: VerifyOut, **ERRORS},
    summary="Walk the audit log's hash chain (audit administrators)",
)
def audit_verify(request):
    if not roles.can(request.auth, roles.AUDIT_EXPORT):
        raise Forbidden(FieldError("forbidden", _("只有审计管理员可以校验审计日志。")))
    return verify_chain(actor_from_request(request, via="api")).as_dict()


class UserAccountOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    is_active: bool
    duty_role: str
    break_glass: bool


def _account(user) -> UserAccountOut:
    return UserAccountOut(id=user.pk, username=user.username, display_name=str(user), role=user.role,
                      role_label=str(user.get_role_display()), is_active=user.is_active, duty_role=user.duty_role,
                      break_glass=user.is_superuser)  # fmt: skip


@router.get(
    "/accounts",
    response={200: list[UserAccountOut], **ERRORS},
    summary="Accounts and their roles (system and security admins)",
)
def account_list(request):
    return [_account(user) for user in accounts.accounts(actor_from_request(request, via="api"))]


class AccountRoleIn(Schema):
    role: str


@router.put("/accounts/{user_id}/role", response={200: UserAccountOut, **ERRORS},
            summary="Give an account its role (security administrators; 三员分立 enforced)")  # fmt: skip
def account_role(request, user_id: int, data: AccountRoleIn):
    return _account(accounts.assign_role(actor_from_request(request, via="api"), user_id, data.role))
