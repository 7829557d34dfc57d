"""Dormant accounts (docs/security.md, 身份鉴别与会话): disabled after TONGPIN_DORMANT_DAYS without a sign-in,
audited; machine accounts left alone; admins re-enable, and the count starts again."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tongpin.core import dormancy, periodic
from tongpin.core.models import AccountState, AuditEvent, User
from tongpin.core.roles import Role

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
DAYS = dt.timedelta(days=1)


def last_seen(user: User, days_ago: int | None, joined_days_ago: int = 400) -> None:
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(
        last_login=now - days_ago * DAYS if days_ago is not None else None, date_joined=now - joined_days_ago * DAYS
    )


def active(name: str) -> bool:
    return User.objects.get(username=name).is_active


def test_accounts_without_a_sign_in_for_ninety_days_are_disabled(users):
    last_seen(users["reporter"], 91)
    last_seen(users["editor"], 89)
    last_seen(users["editor2"], None)  # never signed in, made long ago
    last_seen(users["desk"], None, joined_days_ago=10)  # never signed in, made recently
    sender = make_user("jxqx", Role.ALERT_SENDER)
    last_seen(sender, None)  # API only: never signs in, never disabled
    disabled = {u.username for u in dormancy.disable_dormant()}
    assert disabled == {"reporter", "editor2"}
    assert not active("reporter") and active("editor") and active("desk") and active("jxqx")
    event = AuditEvent.objects.get(action="user.disabled_dormant", object_id=str(users["reporter"].pk))
    assert event.changes["days"] == 90 and event.actor is None
    assert AccountState.objects.get(user=users["reporter"]).disabled_reason == "dormant"
    # a disabled account cannot sign in
    assert Client().post("/login/", {"username": "reporter", "password": PASSWORD}).status_code == 200
    assert dormancy.disable_dormant() == []  # nothing twice


def test_the_period_is_a_setting_and_zero_turns_it_off(users, settings):
    last_seen(users["reporter"], 40)
    settings.TONGPIN_DORMANT_DAYS = 0
    assert dormancy.disable_dormant() == []
    settings.TONGPIN_DORMANT_DAYS = 30
    assert [u.username for u in dormancy.disable_dormant()] == ["reporter"]


def test_an_admin_re_enables_and_the_count_starts_again(users, client_for):
    last_seen(users["reporter"], 200)
    dormancy.disable_dormant()
    admin = client_for("admin")
    admin.post("/admin/core/user/", {"action": "enable_accounts", "_selected_action": [users["reporter"].pk]})
    assert active("reporter")
    assert AuditEvent.objects.get(action="user.enabled").actor == users["admin"]
    assert dormancy.disable_dormant() == []  # not disabled again at the next pass
    assert AccountState.objects.get(user=users["reporter"]).disabled_reason == ""
    assert Client().post("/login/", {"username": "reporter", "password": PASSWORD})["Location"] == "/"


def test_re_enabling_anywhere_restarts_the_count(users):
    last_seen(users["editor"], 200)
    dormancy.disable_dormant()
    user = User.objects.get(pk=users["editor"].pk)
    user.is_active = True
    user.save()  # e.g. the 启用 box in the Django admin's user form
    assert dormancy.disable_dormant() == []


def test_enable_through_the_api(users, token_for):
    last_seen(users["editor"], 200)
    dormancy.disable_dormant()
    answer = Client().post("/api/v1/users/editor/enable", HTTP_AUTHORIZATION=f"Bearer {token_for('admin')}")
    assert answer.status_code == 200 and answer.json()["is_active"] is True
    refused = Client().post("/api/v1/users/editor/enable", HTTP_AUTHORIZATION=f"Bearer {token_for('desk')}")
    assert refused.status_code == 403


def test_the_worker_runs_it_and_the_command_too(users):
    assert "core.disable_dormant" in periodic.HOOKS
    last_seen(users["reporter"], 100)
    dormancy._last_run["at"] = 0.0
    periodic.HOOKS["core.disable_dormant"]()
    assert not active("reporter")
    last_seen(users["editor"], 100)
    out = io.StringIO()
    call_command("account", "disable-dormant", "--dry-run", stdout=out)
    assert "would disable editor" in out.getvalue() and active("editor")
    call_command("account", "disable-dormant", stdout=out)
    assert not active("editor")
    assert AuditEvent.objects.filter(action="user.disabled_dormant", via="cli").count() == 1
    call_command("account", "enable", "editor", stdout=out)
    assert active("editor")


def test_the_command_resets_a_second_factor(users):
    from tongpin.core import twofactor
    from tongpin.core.audit import Actor

    twofactor.enrol(Actor(user=users["admin"]), users["admin"], twofactor.new_key())
    call_command("account", "reset-2fa", "admin", stdout=io.StringIO())
    assert not twofactor.enrolled(users["admin"])
    assert AuditEvent.objects.filter(action="auth.2fa_reset", via="cli").exists()
