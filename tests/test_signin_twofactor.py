"""The second factor at sign-in (docs/security.md, 身份鉴别与会话): TOTP and recovery codes, the per-role policy,
the Django admin's sign-in through the same steps, wrong codes counted like wrong passwords, admin resets."""

import re
from binascii import unhexlify

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tongpin.core import datakey, twofactor
from tongpin.core.audit import Actor
from tongpin.core.models import ApiToken, AuditEvent, SealedTOTPDevice
from tongpin.web.account import PENDING, SETUP

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(key: str) -> str:
    return f"{TOTP(unhexlify(key)).token():06d}"


def with_app(user) -> str:
    """Give `user` an authenticator app (and recovery codes); returns the app's key."""
    key = twofactor.new_key()
    SealedTOTPDevice.objects.create(user=user, name="default", key=key, confirmed=True)
    return key


def password_step(client: Client, username: str, path: str = "/login/"):
    return client.post(path, {"username": username, "password": PASSWORD})


def signed_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


# --- roles that must use it ----------------------------------------------------------------------------------


def test_an_admin_without_a_second_factor_sets_one_up_before_anything_else(users):
    browser = Client()
    answer = password_step(browser, "admin")
    assert answer.status_code == 302 and answer["Location"] == "/login/two-factor/"
    # the password alone signs nobody in: every page still asks for sign-in
    assert not signed_in(browser)
    assert browser.get("/").status_code == 302 and browser.get("/admin/").status_code == 302
    page = browser.get("/login/two-factor/")
    assert page.status_code == 200
    key = browser.session[SETUP]["key"]
    text = page.content.decode()
    assert twofactor.secret_text(key) in text and "otpauth://totp/" in text
    qr = browser.get("/login/two-factor/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.lstrip().startswith(b"<svg")
    assert "no-store" in qr["Cache-Control"]
    wrong = browser.post("/login/two-factor/", {"code": "000000" if code_for(key) != "000000" else "111111"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert not SealedTOTPDevice.objects.filter(user=users["admin"]).exists()

    done = browser.post("/login/two-factor/", {"code": code_for(key)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(browser)
    assert SealedTOTPDevice.objects.get(user=users["admin"]).confirmed
    # only keyed hashes of the recovery codes are stored
    stored = set(StaticToken.objects.filter(device__user=users["admin"]).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes}
    assert AuditEvent.objects.filter(action="auth.2fa_enrolled", actor=users["admin"]).exists()
    assert AuditEvent.objects.filter(action="auth.login", actor=users["admin"]).exists()
    # shown once: the codes page is the answer to that POST, nothing shows them again
    account = browser.get("/account/").content.decode()
    assert "剩余恢复码 10 个" in account and not any(code in account for code in codes)


@pytest.mark.parametrize("role", ["chief", "duty"])
def test_chief_editors_and_duty_officers_must_set_one_up_too(users, role):
    assert password_step(Client(), role)["Location"] == "/login/two-factor/"


def test_a_reporter_signs_in_with_the_password_alone(users):
    browser = Client()
    answer = password_step(browser, "reporter")
    assert answer["Location"] == "/" and signed_in(browser)


def test_the_policy_is_a_list_of_role_names(users, settings):
    settings.TONGPIN_TWO_FACTOR_ROLES = ["reporter", "security_admin"]  # a role that does not exist yet is harmless
    assert password_step(Client(), "reporter")["Location"] == "/login/two-factor/"
    browser = Client()
    assert password_step(browser, "admin")["Location"] == "/" and signed_in(browser)


def test_the_enrolment_step_lapses(users, settings):
    browser = Client()
    password_step(browser, "admin")
    session = browser.session
    session[PENDING]["at"] -= 3600
    session.save()
    answer = browser.get("/login/two-factor/")
    assert answer.status_code == 302 and answer["Location"] == "/login/"


def test_another_sessions_qr_code_is_not_shown(users):
    assert Client().get("/login/two-factor/qr.svg").status_code == 404


# --- signing in with it --------------------------------------------------------------------------------------


def test_someone_with_an_app_is_asked_for_a_code(users):
    key = with_app(users["reporter"])
    browser = Client()
    answer = browser.post("/login/?next=/stories/", {"username": "reporter", "password": PASSWORD, "next": "/stories/"})
    assert answer["Location"] == "/login/verify/"
    assert not signed_in(browser)
    wrong = browser.post("/login/verify/", {"code": "12345x"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert AuditEvent.objects.filter(action="auth.2fa_failed", actor=users["reporter"]).exists()
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()
    SealedTOTPDevice.objects.filter(user=users["reporter"]).update(throttling_failure_count=0)
    ok = browser.post("/login/verify/", {"code": code_for(key)})
    assert ok.status_code == 302 and ok["Location"] == "/stories/"
    assert signed_in(browser)
    assert AuditEvent.objects.filter(action="auth.2fa_verified", actor=users["reporter"]).exists()


def test_a_code_cannot_be_used_twice(users):
    key = with_app(users["editor"])
    first = Client()
    password_step(first, "editor")
    code = code_for(key)
    assert first.post("/login/verify/", {"code": code}).status_code == 302
    second = Client()
    password_step(second, "editor")
    again = second.post("/login/verify/", {"code": code})
    assert again.status_code == 200 and not signed_in(second)


def test_a_recovery_code_works_once(users):
    codes = twofactor.enrol(Actor(user=users["duty"]), users["duty"], twofactor.new_key())
    browser = Client()
    password_step(browser, "duty")
    answer = browser.post("/login/verify/", {"code": codes[3].upper().replace("-", " ")})
    assert answer.status_code == 302 and signed_in(browser)
    event = AuditEvent.objects.get(action="auth.2fa_recovery_used", actor=users["duty"])
    assert event.changes["left"] == 9
    other = Client()
    password_step(other, "duty")
    StaticDevice.objects.filter(user=users["duty"]).update(throttling_failure_count=0)
    assert other.post("/login/verify/", {"code": codes[3]}).status_code == 200
    assert not signed_in(other)


def test_wrong_codes_lock_the_name_out_like_wrong_passwords(users):
    with_app(users["chief"])
    browser = Client()
    password_step(browser, "chief")
    answers = [browser.post("/login/verify/", {"code": "999999x"}).status_code for _ in range(5)]
    assert answers[-1] == 429
    assert AuditEvent.objects.filter(action="auth.2fa_failed", actor=users["chief"]).count() == 5
    # the right password no longer gets anywhere for 15 minutes
    again = password_step(Client(), "chief")
    assert again.status_code == 429 and not signed_in(browser)


def test_the_verify_step_needs_the_password_step_first(users):
    answer = Client().post("/login/verify/", {"code": "123456"})
    assert answer.status_code == 302 and answer["Location"] == "/login/"


def _raw_seed(user) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM core_sealedtotpdevice WHERE user_id = %s", [user.pk])
        return cursor.fetchone()[0]


def test_the_seed_is_stored_sealed_not_as_hex(users):
    """A database dump alone mints no codes: the seed column holds a seal, neither the hex nor the base32."""
    key = twofactor.new_key()
    twofactor.enrol(Actor(user=users["reporter"]), users["reporter"], key)
    raw = _raw_seed(users["reporter"])
    assert raw.startswith("tpenc:1:sm4-gcm:") and key not in raw.lower()
    assert twofactor.secret_text(key).replace(" ", "") not in raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0  # django-otp's clear-hex table is not used


def test_a_right_code_passes_a_wrong_one_fails_and_a_used_one_is_refused(users):
    user = users["editor"]
    key = with_app(user)
    raw = _raw_seed(user)
    wrong = "000000" if code_for(key) != "000000" else "111111"
    assert not twofactor.verify(user, wrong).ok
    SealedTOTPDevice.objects.filter(user=user).update(throttling_failure_count=0)  # (django-otp's 1 s pause)
    code = code_for(key)
    verdict = twofactor.verify(user, code)
    assert verdict.ok and verdict.how == "totp"
    assert not twofactor.verify(user, code).ok  # replay: that time step is used up
    device = SealedTOTPDevice.objects.get(user=user)
    assert device.last_t >= 0 and device.last_used_at is not None
    assert _raw_seed(user) == raw  # saving the device's state leaves the seal as it was


def test_a_seal_copied_onto_another_account_does_not_open(users):
    with_app(users["editor"])
    with_app(users["chief"])
    SealedTOTPDevice.objects.filter(user=users["chief"]).update(key=_raw_seed(users["editor"]))
    with pytest.raises(datakey.DataKeyError):
        SealedTOTPDevice.objects.get(user=users["chief"]).bin_key  # noqa: B018


# --- the Django admin, API tokens ----------------------------------------------------------------------------


def test_the_django_admin_signs_in_through_the_same_steps(users):
    key = with_app(users["admin"])
    browser = Client()
    page = browser.get("/admin/login/?next=/admin/")
    assert page.status_code == 200 and 'value="/admin/"' in page.content.decode()
    answer = browser.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert answer["Location"] == "/login/verify/"
    assert browser.get("/admin/").status_code == 302
    done = browser.post("/login/verify/", {"code": code_for(key)})
    assert done["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


def test_the_admin_sign_in_page_tells_a_signed_in_non_admin_no(client_for):
    # (it once sent them on to /admin/, which sent them back: a redirect loop)
    assert client_for("duty").get("/admin/login/?next=/admin/").status_code == 403


def test_api_tokens_are_unaffected(users):
    raw = ApiToken.issue(users["admin"], "machine")[1]
    answer = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200


# --- my account ----------------------------------------------------------------------------------------------


def test_anyone_may_set_it_up_on_my_account(client_for, users):
    browser = client_for("reporter")
    page = browser.get("/account/").content.decode()
    assert "两步验证" in page and "/account/two-factor/" in page
    browser.get("/account/two-factor/")
    key = browser.session[SETUP]["key"]
    assert browser.get("/login/two-factor/qr.svg").status_code == 200
    done = browser.post("/account/two-factor/", {"code": code_for(key)})
    assert len(re.findall(r"<code>[a-z0-9]{5}-[a-z0-9]{5}</code>", done.content.decode())) == 10
    assert twofactor.enrolled(users["reporter"])
    assert "剩余恢复码 10 个" in browser.get("/account/").content.decode()


def test_new_recovery_codes_need_a_current_code_and_void_the_old_ones(client_for, users):
    old = twofactor.enrol(Actor(user=users["editor"]), users["editor"], key := twofactor.new_key())
    SealedTOTPDevice.objects.filter(user=users["editor"]).update(last_t=-1)
    browser = client_for("editor")
    refused = browser.post("/account/two-factor/codes/", {"code": "000000x"})
    assert refused.status_code == 302 and twofactor.recovery_codes_left(users["editor"]) == 10
    answer = browser.post("/account/two-factor/codes/", {"code": code_for(key)})
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", answer.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert not twofactor.verify(users["editor"], old[0]).ok
    assert AuditEvent.objects.filter(action="auth.2fa_recovery_regenerated", actor=users["editor"]).exists()


def test_a_required_role_cannot_remove_it_and_others_need_a_code(client_for, users):
    key = with_app(users["admin"])
    client_for("admin").post("/account/two-factor/remove/", {"code": code_for(key)})
    assert twofactor.enrolled(users["admin"])
    key = with_app(users["reporter"])
    browser = client_for("reporter")
    browser.post("/account/two-factor/remove/", {"code": "000000x"})
    assert twofactor.enrolled(users["reporter"])
    browser.post("/account/two-factor/remove/", {"code": code_for(key)})
    assert not twofactor.enrolled(users["reporter"])
    assert AuditEvent.objects.filter(action="auth.2fa_removed", actor=users["reporter"]).exists()


# --- admins reset it -----------------------------------------------------------------------------------------


def test_an_admin_resets_someones_second_factor_in_the_django_admin(client_for, users):
    """三员分立: resetting a second factor is the security administrator's; the system administrator is refused."""
    twofactor.enrol(Actor(user=users["duty"]), users["duty"], twofactor.new_key())
    system = client_for("admin").post(
        "/admin/core/user/", {"action": "reset_two_factor", "_selected_action": [users["duty"].pk]}, follow=True
    )
    assert "只有安全管理员可以重置两步验证" in system.content.decode() and twofactor.enrolled(users["duty"])
    admin = client_for("secadmin")
    answer = admin.post(
        "/admin/core/user/", {"action": "reset_two_factor", "_selected_action": [users["duty"].pk]}, follow=True
    )
    assert answer.status_code == 200
    assert not twofactor.enrolled(users["duty"]) and twofactor.recovery_codes_left(users["duty"]) == 0
    event = AuditEvent.objects.get(action="auth.2fa_reset")
    assert event.actor == users["secadmin"] and event.object_id == str(users["duty"].pk)
    # next sign-in: set up again, before anything else
    assert password_step(Client(), "duty")["Location"] == "/login/two-factor/"


def test_an_admin_resets_it_through_the_api(users, token_for):
    with_app(users["reporter"])
    answer = Client().post(
        "/api/v1/users/reporter/two-factor/reset", HTTP_AUTHORIZATION=f"Bearer {token_for('secadmin')}"
    )
    assert answer.status_code == 200 and answer.json()["two_factor"]["enrolled"] is False
    assert AuditEvent.objects.filter(action="auth.2fa_reset", via="api").exists()
    refused = Client().post(
        "/api/v1/users/admin/two-factor/reset", HTTP_AUTHORIZATION=f"Bearer {token_for('chief')}"
    )
    assert refused.status_code == 403
    system = Client().post(
        "/api/v1/users/reporter/two-factor/reset", HTTP_AUTHORIZATION=f"Bearer {token_for('admin')}"
    )
    assert system.status_code == 403


def test_my_security_in_the_api(users, token_for):
    with_app(users["duty"])
    answer = Client().get("/api/v1/me/security", HTTP_AUTHORIZATION=f"Bearer {token_for('duty')}").json()
    assert answer["two_factor"] == {"enrolled": True, "required": True, "recovery_codes_left": 0}
    assert answer["password_expires_at"] is None


def test_the_otp_models_are_not_editable_in_the_django_admin(client_for):
    admin = client_for("admin")
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin.get("/admin/core/sealedtotpdevice/").status_code == 404
    assert admin.get("/admin/otp_static/staticdevice/").status_code == 404
