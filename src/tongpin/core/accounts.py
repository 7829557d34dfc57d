"""Accounts and their roles under 三员分立 (docs/security.md): the security administrator assigns roles; the
system, security and audit administrator roles are held by three different accounts, and an account that has held
one of them never takes another (`User.duty_role`). A break-glass superuser holds none of them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import audit, roles
from .audit import Actor
from .errors import FieldError, Forbidden, NotFound, ValidationFailed
from .models import Notification, User
from .roles import Role


def role_label(role: str) -> str:
    return str(dict(Role.choices).get(role, role))


def assignment_errors(actor_user: User | None, user: User, role: str) -> list[FieldError]:
    """Why `actor_user` may not give `user` the role `role` (empty: allowed). `actor_user` None: the command line,
    run by whoever runs the service (still bound by the separation)."""
    if role not in Role.values:
        return [FieldError("invalid_role", _("没有这个角色。"), "role")]
    if actor_user is not None:
        if not roles.can(actor_user, roles.ROLE_ASSIGN):
            return [FieldError("forbidden", _("只有安全管理员可以分配角色。"))]
        if actor_user.pk == user.pk:
            return [FieldError("own_role", _("不能修改自己的角色，请由另一位安全管理员操作。"), "role")]
    if role in roles.SEPARATED_ROLES:
        if user.is_superuser:
            message = _("应急（超级用户）账号不能担任系统管理员、安全管理员或审计管理员。")
            return [FieldError("separation_of_duties", message, "role")]
        if user.duty_role and user.duty_role != role:
            message = _(
                "三员分立：此账号曾担任%(held)s，不能再担任%(role)s。系统管理员、安全管理员、审计管理员须由不同账号担任，"
                "请为其另建账号。"
            ) % {"held": role_label(user.duty_role), "role": role_label(role)}
            return [FieldError("separation_of_duties", message, "role")]
    return []


def check_assignment(actor_user: User | None, user: User, role: str) -> None:
    errors = assignment_errors(actor_user, user, role)
    if errors:
        raise (Forbidden if errors[0].code == "forbidden" else ValidationFailed)(errors)


def assign_role(actor: Actor, user_id: int, role: str) -> User:
    """Give an account its role (security administrators; the command line with `actor.user` None). A refusal is
    recorded too (`user.role_refused`, with its reason): an attempt to take a second duty is worth knowing."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(FieldError("not_found", _("账号不存在。")))
        errors = assignment_errors(actor.user, user, role)
        if not errors:
            old = user.role
            if old != role:
                user.role = role
                user.save()
                audit.record(actor, "user.role_change", user, {"user": user.username, "role": [old, role]})
            return user
    changes = {"user": user.username, "role": [user.role, role], "reason": errors[0].code}
    audit.record(actor, "user.role_refused", user, changes)
    raise (Forbidden if errors[0].code == "forbidden" else ValidationFailed)(errors)


def accounts(actor: Actor) -> QuerySet[User]:
    if not (roles.can(actor.user, roles.ROLE_ASSIGN) or roles.can(actor.user, roles.USER_MANAGE)):
        raise Forbidden(FieldError("forbidden", _("没有权限。")))
    return User.objects.order_by("username")


def assignable_roles() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Role.choices]


def break_glass_signed_in(actor: Actor, user: User, path: str) -> None:
    """A superuser signed in: recorded as break-glass, and the security and audit administrators are told."""
    audit.record(actor, "auth.break_glass", user, {"user": user.username, "path": path[:200]})
    text = _("应急账号 %(name)s 已登录（超级用户），请核查其操作。") % {"name": user.username}
    overseers = User.objects.filter(role__in=[Role.SECURITY_ADMIN, Role.AUDIT_ADMIN], is_active=True)
    Notification.objects.bulk_create(
        [
            Notification(user=person, text=text, link="/audit/?action=auth" if person.role == Role.AUDIT_ADMIN else "")
            for person in overseers
        ]
    )
