"""Password rules (docs/security.md, 身份鉴别与会话): 10 characters or 8 of three kinds, none of the last 5 again,
expiry forcing a change at sign-in (off by default), changing one's own password, the CLI using the same rules."""

import datetime as dt
import io

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tongpin.core import passwords
from tongpin.core.models import AuditEvent, PasswordHistory, User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["Ab3-xyzq", "tide8LANT", "潮汐Lantern1"[:8], "riverbank-lantern"])
def test_good_passwords(password):
    validate_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "Ab3xyzq",  # 7 characters, however varied
        "abcdxyzq9",  # 9 characters, two kinds
        "ABCDEFGHI",  # 9 characters, one kind
        "Abcdxyzq",  # 8 characters, two kinds
    ],
)
def test_short_passwords_need_three_kinds(password):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert "password_too_simple" in [e.code for e in error.value.error_list]


def test_the_kinds_of_character():
    assert passwords.character_kinds("aB3-") == 4
    assert passwords.character_kinds("潮汐ab") == 2  # Chinese counts as "other"


def change(browser: Client, old: str, new: str):
    return browser.post(
        "/account/password/", {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_people_change_their_own_password_but_not_to_one_of_the_last_five(client_for, users):
    browser = client_for("reporter")
    assert browser.get("/account/password/").status_code == 200
    current = PASSWORD
    used = [f"lantern-river-{n}" for n in range(6)]
    for new in used:
        answer = change(browser, current, new)
        assert answer.status_code == 302, answer.content.decode()[:2000]
        current = new
    # the current one and the four before it are refused; the sixth-newest is allowed again
    for old in used[-5:]:
        refused = change(browser, current, old)
        assert refused.status_code == 200 and "不能使用最近 5 次用过的密码" in refused.content.decode()
    assert change(browser, current, used[0]).status_code == 302
    assert PasswordHistory.objects.filter(user=users["reporter"]).count() == 5
    event = AuditEvent.objects.filter(action="auth.password_change", actor=users["reporter"]).first()
    assert event.changes == {"expired": False}
    # still signed in after the change (the session follows the new password)
    assert browser.get("/account/").status_code == 200


def test_the_password_history_keeps_hashes_only(users):
    user = users["editor"]
    user.set_password("lantern-river-9")
    user.save()
    stored = PasswordHistory.objects.filter(user=user).first().password
    assert "lantern-river-9" not in stored and stored == user.password


def test_a_wrong_current_password_changes_nothing(client_for, users):
    answer = change(client_for("editor"), "not-my-password", "lantern-river-7")
    assert answer.status_code == 200
    assert User.objects.get(pk=users["editor"].pk).check_password(PASSWORD)


def test_passwords_do_not_expire_by_default(users):
    PasswordHistory.objects.filter(user=users["reporter"]).update(created_at=timezone.now() - dt.timedelta(days=900))
    answer = Client().post("/login/", {"username": "reporter", "password": PASSWORD})
    assert answer["Location"] == "/"


def test_an_expired_password_is_changed_at_sign_in(users, settings):
    settings.TONGPIN_PASSWORD_MAX_AGE_DAYS = 90
    PasswordHistory.objects.filter(user=users["reporter"]).update(created_at=timezone.now() - dt.timedelta(days=91))
    browser = Client()
    answer = browser.post("/login/", {"username": "reporter", "password": PASSWORD})
    assert answer["Location"] == "/login/password/"
    assert browser.get("/account/").status_code == 302  # not signed in yet
    page = browser.get("/login/password/").content.decode()
    assert "您的密码已过期" in page
    same = browser.post("/login/password/", {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert same.status_code == 200 and browser.get("/account/").status_code == 302
    done = browser.post("/login/password/", {"new_password1": "lantern-river-8", "new_password2": "lantern-river-8"})
    assert done["Location"] == "/" and browser.get("/account/").status_code == 200
    assert not passwords.expired(User.objects.get(pk=users["reporter"].pk))
    assert AuditEvent.objects.get(action="auth.password_change").changes == {"expired": True}


def test_a_recent_password_has_not_expired(users, settings):
    settings.TONGPIN_PASSWORD_MAX_AGE_DAYS = 90
    assert Client().post("/login/", {"username": "reporter", "password": PASSWORD})["Location"] == "/"


def test_createuser_uses_the_same_rules(db):
    with pytest.raises(CommandError):
        call_command("createuser", "li", "--role", "reporter", "--password", "abcdxyzq9")
    call_command("createuser", "li", "--role", "reporter", "--password", "Ab3-xyzq", stdout=io.StringIO())
    user = User.objects.get(username="li")
    assert PasswordHistory.objects.filter(user=user).count() == 1
