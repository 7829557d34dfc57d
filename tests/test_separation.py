"""三员分立 (docs/security.md): the system, security and audit administrators are separate roles held by separate
accounts; only the security administrator assigns roles; Django superusers are break-glass and their sign-ins are
recorded."""

import pytest
from django.test import Client

from tongpin.core import accounts, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Forbidden, ValidationFailed
from tongpin.core.models import ApiToken, AuditEvent, Notification, User
from tongpin.core.roles import Role

from .conftest import make_user

pytestmark = pytest.mark.django_db


def _as(user) -> Actor:
    return Actor(user=user, ip="127.0.0.1", via="test")


def test_the_three_administrators_share_no_duty():
    system, security, audit = (roles.CAPABILITIES[r] for r in (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN))
    assert roles.AUDIT_VIEW not in system and roles.ROLE_ASSIGN not in system and roles.USER_MANAGE in system
    assert security == {roles.ROLE_ASSIGN, roles.SECURITY_POLICY, roles.KEY_MANAGE, roles.TWO_FACTOR_RESET}
    assert audit == {roles.AUDIT_VIEW, roles.AUDIT_EXPORT}  # reads and exports; changes nothing
    assert roles.roles_with(roles.AUDIT_VIEW) == [Role.AUDIT_ADMIN]
    assert roles.roles_with(roles.ROLE_ASSIGN) == [Role.SECURITY_ADMIN]


def test_only_the_security_administrator_assigns_roles_and_it_is_audited(users):
    reporter = users["reporter"]
    accounts.assign_role(_as(users["secadmin"]), reporter.pk, Role.EDITOR)
    reporter.refresh_from_db()
    assert reporter.role == Role.EDITOR
    event = AuditEvent.objects.get(action="user.role_change")
    assert event.actor == users["secadmin"] and event.changes["role"] == ["reporter", "editor"]
    for name in ("admin", "auditor", "chief"):
        with pytest.raises(Forbidden):
            accounts.assign_role(_as(users[name]), reporter.pk, Role.REPORTER)
    with pytest.raises(ValidationFailed) as refused:
        accounts.assign_role(_as(users["secadmin"]), users["secadmin"].pk, Role.ADMIN)
    assert refused.value.errors[0].code == "own_role"


def test_an_account_never_holds_two_of_the_three_administrator_roles(users):
    security = _as(users["secadmin"])
    with pytest.raises(ValidationFailed) as refused:
        accounts.assign_role(security, users["admin"].pk, Role.AUDIT_ADMIN)
    error = refused.value.errors[0]
    assert error.code == "separation_of_duties" and "三员分立" in error.message and "系统管理员" in error.message
    attempt = AuditEvent.objects.get(action="user.role_refused")  # the refused attempt is on record
    assert attempt.changes == {"user": "admin", "role": ["admin", "audit_admin"], "reason": "separation_of_duties"}
    # Not by a detour through another role either: the account remembers the duty it held.
    accounts.assign_role(security, users["admin"].pk, Role.EDITOR)
    with pytest.raises(ValidationFailed):
        accounts.assign_role(security, users["admin"].pk, Role.SECURITY_ADMIN)
    accounts.assign_role(security, users["admin"].pk, Role.ADMIN)  # back to the duty it held: allowed
    fresh = make_user("newauditor", Role.REPORTER)
    accounts.assign_role(security, fresh.pk, Role.AUDIT_ADMIN)
    fresh.refresh_from_db()
    assert (fresh.role, fresh.duty_role) == (Role.AUDIT_ADMIN, Role.AUDIT_ADMIN)


def test_role_assignment_through_the_api_and_the_page_speaks_codes_and_chinese(users, token_for, client_for):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for('secadmin')}"}
    answer = Client().put(f"/api/v1/accounts/{users['auditor'].pk}/role", {"role": "admin"},
                          content_type="application/json", **headers)  # fmt: skip
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "separation_of_duties"
    answer = Client().put(f"/api/v1/accounts/{users['editor'].pk}/role", {"role": "desk_chief"},
                          content_type="application/json", **headers)  # fmt: skip
    assert answer.status_code == 200 and answer.json()["role"] == "desk_chief"
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_for('admin')}"}
    answer = Client().put(f"/api/v1/accounts/{users['editor'].pk}/role", {"role": "reporter"},
                          content_type="application/json", **other)  # fmt: skip
    assert answer.status_code == 403
    assert Client().get("/api/v1/accounts", **other).status_code == 200  # the system administrator sees accounts
    page = client_for("secadmin").post(
        "/accounts/roles/", {"user": users["admin"].pk, "role": "audit_admin"}, follow=True
    ).content.decode()
    assert "三员分立：此账号曾担任系统管理员，不能再担任审计管理员" in page
    assert 'name="role"' in page
    assert 'name="role"' not in client_for("admin").get("/accounts/roles/").content.decode()  # read only
    assert client_for("auditor").get("/accounts/roles/").status_code == 403


def test_system_administrators_are_no_superusers_and_reach_no_audit_log_in_the_admin_site(users, client_for):
    admin = users["admin"]
    assert (admin.is_superuser, admin.is_staff, admin.duty_role) == (False, True, Role.ADMIN)
    client = client_for("admin")
    assert client.get("/admin/core/station/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 403
    # Nor may the system administrator take over an overseer's account (its password, its state).
    auditor = users["auditor"]
    assert client.post(f"/admin/core/user/{auditor.pk}/password/", {}).status_code == 403
    assert client_for("auditor").get("/admin/").status_code == 302  # no admin site for the auditor


def test_break_glass_superusers_are_recorded_when_made_and_when_they_sign_in(users):
    glass = User(username="glass", is_superuser=True)
    glass.set_password("break-the-glass-42")
    glass.save()
    assert AuditEvent.objects.filter(action="user.break_glass_granted", object_id=str(glass.pk)).exists()
    with pytest.raises(ValidationFailed) as refused:
        accounts.assign_role(_as(users["secadmin"]), glass.pk, Role.AUDIT_ADMIN)
    assert refused.value.errors[0].code == "separation_of_duties"
    client = Client()
    client.force_login(glass)
    event = AuditEvent.objects.get(action="auth.break_glass")
    assert event.actor == glass and event.changes["user"] == "glass"
    told = set(Notification.objects.filter(text__contains="glass").values_list("user__username", flat=True))
    assert told == {"secadmin", "auditor"}
    client_for_reporter = Client()
    client_for_reporter.force_login(users["reporter"])
    assert AuditEvent.objects.filter(action="auth.break_glass").count() == 1  # ordinary sign-ins are not


def test_api_tokens_are_made_on_the_command_line_not_added_in_the_admin(users, client_for):
    """An admin-added token had no secret and no prefix, was listed as active and could never be used."""
    token, _raw = ApiToken.issue(users["reporter"], "采集脚本")
    client = client_for("secadmin")
    assert client.get("/admin/core/apitoken/add/").status_code == 403
    posted = client.post("/admin/core/apitoken/add/", {"user": users["reporter"].pk, "name": "x", "scope": "full"})
    assert posted.status_code == 403 and ApiToken.objects.count() == 1
    listing = client.get("/admin/core/apitoken/").content.decode()
    assert all(header in listing for header in ("用户", "前缀", "创建时间", "最近使用时间", "撤销时间"))
    assert "/admin/core/apitoken/add/" not in listing
    form = client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()
    assert "令牌哈希" in form and not any(f'name="{field}"' in form for field in ("digest", "prefix", "user"))
    revoked = client.post(  # revoking still works: the revoked time is set on the change form
        f"/admin/core/apitoken/{token.pk}/change/",
        {"user": users["secadmin"].pk, "name": "采集脚本", "scope": "full", "expires_at_0": "", "expires_at_1": "",
         "revoked_at_0": "2026-12-04", "revoked_at_1": "10:00:00"},  # fmt: skip
    )
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.user == users["reporter"]  # not moved to another account


def test_the_admin_site_carries_tongpins_name(users, client_for):
    from django.contrib import admin
    from django.utils import translation

    page = client_for("admin").get("/admin/").content.decode()
    assert "同频 系统管理" in page and "Django 管理" not in page and "Django" not in page.split("</title>")[0]
    with translation.override("en"):
        assert str(admin.site.site_header) == str(admin.site.site_title) == "Tongpin administration"
        assert str(admin.site.index_title) == "Administration"
