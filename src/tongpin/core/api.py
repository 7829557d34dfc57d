"""API of the core: who am I, the audit log for audit administrators (browse, export, verify), and accounts'
roles for security administrators (三员分立)."""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from . import accounts, dormancy, passwords, policy, roles, twofactor
from .audit import actor_from_request
from .auditlog import AuditFilters, browse_audit, export_audit, verify_chain
from .errors import FieldError, Forbidden, NotFound
from .resources import on_one, shown
from .schemas import ERRORS

router = Router(tags=["core"])


class PersonOut(Schema):
    """What `MeOut` and `UserAccountOut` start with, read from a user."""

    id: int
    username: str
    display_name: str
    role: str
    role_label: str = Field(alias="get_role_display")

    resolve_display_name = shown()


class MeOut(PersonOut):
    partner: str | None

    @staticmethod
    def resolve_partner(user) -> str | None:
        liaison = getattr(user, "liaison", None) if user.role == roles.Role.PARTNER_LIAISON else None
        return liaison.partner.slug if liaison else None


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user")
def me(request):
    return request.auth


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str = Field(alias="actor_name")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    ip: str | None
    via: str


# Reads a Django `Page` of audit events.
class AuditPageOut(Schema):
    count: int = Field(alias="paginator.count")
    page: int = Field(alias="number")
    results: list[AuditOut] = Field(alias="object_list")


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
    roles.require(request.auth, roles.AUDIT_VIEW, _("只有审计管理员可以查看审计日志。"))
    return browse_audit(AuditFilters(**filters.dict(exclude={"page"})), filters.page)


# --- sign-in security (docs/security.md, 身份鉴别与会话) -------------------------------------------------------


class TwoFactorOut(Schema):  # read from the user
    enrolled: bool
    required: bool
    recovery_codes_left: int

    resolve_enrolled = staticmethod(twofactor.enrolled)
    resolve_required = staticmethod(policy.two_factor_required)
    resolve_recovery_codes_left = staticmethod(twofactor.recovery_codes_left)


class AccountSecurityOut(Schema):
    username: str
    is_active: bool
    two_factor: TwoFactorOut
    password_changed_at: dt.datetime
    password_expires_at: dt.datetime | None
    last_login: dt.datetime | None

    @staticmethod
    def resolve_two_factor(user) -> Any:
        return user

    resolve_password_changed_at = staticmethod(passwords.changed_at)

    @staticmethod
    def resolve_password_expires_at(user) -> dt.datetime | None:
        days = settings.TONGPIN_PASSWORD_MAX_AGE_DAYS
        return passwords.changed_at(user) + dt.timedelta(days=days) if days > 0 else None


@router.get("/me/security", response={200: AccountSecurityOut, **ERRORS},
            summary="My sign-in security: second factor, password age")  # fmt: skip
def my_security(request):
    if request.auth.role in roles.MACHINE_ROLES:  # no web sign-in, so nothing to tell (and the guard's backstop)
        raise Forbidden(FieldError("machine_account", _("接口账号不能登录网页。")))
    return request.auth


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


@on_one(router.get, "/users/{username}/security", _named_account(roles.USER_MANAGE, roles.TWO_FACTOR_RESET),
        AccountSecurityOut, "A user's sign-in security (admins)")  # fmt: skip
def user_security(actor, user) -> None:
    """Answers the user, read by AccountSecurityOut."""


@on_one(router.post, "/users/{username}/two-factor/reset", _named_account(roles.TWO_FACTOR_RESET), AccountSecurityOut,
        "Remove a user's second factor (lost phone and codes; security administrators, audited)")  # fmt: skip
def reset_two_factor(actor, user):
    twofactor.remove(actor, user, by_admin=True)


@on_one(router.post, "/users/{username}/enable", _named_account(roles.USER_MANAGE), AccountSecurityOut,
        "Re-enable a disabled account (system administrators)")  # fmt: skip
def enable_account(actor, user):
    dormancy.enable(actor, user)
    user.refresh_from_db()


class AuditExportQuery(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    format: Literal["jsonl", "csv"] = "jsonl"


@router.get("/audit/export", response={200: None, **ERRORS},
            summary="Export a date range of the audit log with its hashes (audit administrators)")  # fmt: skip
def audit_export(request, query: Query[AuditExportQuery]):
    roles.require(request.auth, roles.AUDIT_EXPORT, _("只有审计管理员可以导出审计日志。"))
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


@router.post("/audit/verify", response={200: VerifyOut, **ERRORS},
             summary="Walk the audit log's hash chain (audit administrators)")  # fmt: skip
def audit_verify(request):
    roles.require(request.auth, roles.AUDIT_EXPORT, _("只有审计管理员可以校验审计日志。"))
    return verify_chain(actor_from_request(request, via="api")).as_dict()


class UserAccountOut(PersonOut):
    is_active: bool
    duty_role: str
    break_glass: bool = Field(alias="is_superuser")


@router.get("/accounts", response={200: list[UserAccountOut], **ERRORS},
            summary="Accounts and their roles (system and security admins)")  # fmt: skip
def account_list(request):
    return list(accounts.accounts(actor_from_request(request, via="api")))


class AccountRoleIn(Schema):
    role: str


@router.put("/accounts/{user_id}/role", response={200: UserAccountOut, **ERRORS},
            summary="Give an account its role (security administrators; 三员分立 enforced)")  # fmt: skip
def account_role(request, user_id: int, data: AccountRoleIn):
    return accounts.assign_role(actor_from_request(request, via="api"), user_id, data.role)
