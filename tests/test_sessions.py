"""Session limits and HTTPS mode (docs/security.md, 身份鉴别与会话): idle time per role, an absolute limit, the
ending audited; Secure cookies, HSTS and the redirect to HTTPS when TONGPIN_HTTPS is on."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from tongpin.core.models import AuditEvent
from tongpin.core.sessions import SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db


def age(browser: Client, *, seen: float = 0, signed_in: float = 0) -> None:
    """Pretend the last request was `seen` seconds ago and the sign-in `signed_in` seconds ago."""
    session = browser.session
    now = time.time()
    session[SEEN_AT] = now - seen
    session[SIGNED_IN_AT] = now - max(signed_in, seen)
    session.save()


def test_signing_in_starts_the_clocks(client_for):
    browser = client_for("reporter")
    assert abs(browser.session[SIGNED_IN_AT] - time.time()) < 5
    assert abs(browser.session[SEEN_AT] - time.time()) < 5


def test_thirty_idle_minutes_sign_out(client_for, users):
    browser = client_for("reporter")
    age(browser, seen=29 * 60)
    assert browser.get("/").status_code == 200
    assert abs(browser.session[SEEN_AT] - time.time()) < 5  # the request counted as activity
    age(browser, seen=31 * 60)
    answer = browser.get("/stories/")
    assert answer.status_code == 302 and answer["Location"] == "/login/?next=/stories/"
    assert browser.get("/").status_code == 302  # signed out
    event = AuditEvent.objects.get(action="auth.session_timeout")
    assert event.actor == users["reporter"] and event.changes == {"idle_minutes": 30}
    page = browser.get("/login/").content.decode()
    assert "长时间未操作，已自动退出" in page


def test_idle_minutes_per_role(client_for, settings):
    settings.TONGPIN_SESSION_IDLE_MINUTES = {"*": 30, "duty_officer": 240, "admin": 10}
    duty = client_for("duty")
    age(duty, seen=200 * 60)
    assert duty.get("/").status_code == 200
    admin = client_for("admin")
    age(admin, seen=11 * 60)
    assert admin.get("/").status_code == 302


def test_an_active_session_still_ends_after_the_absolute_limit(client_for):
    browser = client_for("editor")
    age(browser, seen=10, signed_in=12 * 3600 + 60)
    answer = browser.get("/")
    assert answer.status_code == 302
    assert AuditEvent.objects.get(action="auth.session_timeout").changes == {"max_hours": 12}
    assert "登录时间已到上限" in browser.get("/login/").content.decode()


def test_an_htmx_request_sends_the_whole_page_to_sign_in(client_for):
    browser = client_for("editor")
    age(browser, seen=3600)
    answer = browser.get("/stories/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 204 and answer["HX-Redirect"].startswith("/login/")


def test_the_api_answers_an_expired_session_as_signed_out(client_for):
    browser = client_for("editor")
    assert browser.get("/api/v1/me").status_code == 200
    age(browser, seen=3600)
    assert browser.get("/api/v1/me").status_code == 401


def test_no_idle_limit_when_set_to_zero(client_for, settings):
    settings.TONGPIN_SESSION_IDLE_MINUTES = {"*": 0}
    browser = client_for("editor")
    age(browser, seen=24 * 3600)
    settings.TONGPIN_SESSION_MAX_HOURS = 0
    assert browser.get("/").status_code == 200


# --- HTTPS mode ----------------------------------------------------------------------------------------------

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SECURE_REDIRECT_EXEMPT', "
    "'SESSION_COOKIE_AGE', 'TONGPIN_SESSION_IDLE_MINUTES', 'TONGPIN_TWO_FACTOR_ROLES')}))"
)


def settings_with(tmp_path, **env) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_")}
    environment.update(TONGPIN_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="tongpin.settings", **env)
    out = subprocess.run([sys.executable, "-c", SHOW], env=environment, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_https_mode_settings(tmp_path):
    plain = settings_with(tmp_path)
    assert not plain["SESSION_COOKIE_SECURE"] and not plain["SECURE_SSL_REDIRECT"] and not plain["SECURE_HSTS_SECONDS"]
    assert plain["TONGPIN_SESSION_IDLE_MINUTES"] == {"*": 30} and plain["SESSION_COOKIE_AGE"] == 12 * 3600
    assert "admin" in plain["TONGPIN_TWO_FACTOR_ROLES"] and "duty_officer" in plain["TONGPIN_TWO_FACTOR_ROLES"]
    secure = settings_with(tmp_path, TONGPIN_HTTPS="1")
    assert secure["SESSION_COOKIE_SECURE"] and secure["CSRF_COOKIE_SECURE"] and secure["SECURE_SSL_REDIRECT"]
    assert secure["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert secure["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    direct = settings_with(tmp_path, TONGPIN_HTTPS="1", TONGPIN_PROXY_SSL_HEADER="", TONGPIN_HSTS_SECONDS="600")
    assert direct["SECURE_PROXY_SSL_HEADER"] is None and direct["SECURE_HSTS_SECONDS"] == 600
    tuned = settings_with(tmp_path, TONGPIN_SESSION_IDLE_MINUTES="20,duty_officer=240", TONGPIN_TWO_FACTOR_ROLES="")
    assert tuned["TONGPIN_SESSION_IDLE_MINUTES"] == {"*": 20, "duty_officer": 240}
    assert tuned["TONGPIN_TWO_FACTOR_ROLES"] == []


@pytest.fixture
def https_mode(settings, tmp_path):
    for key, value in settings_with(tmp_path, TONGPIN_HTTPS="1").items():
        setattr(settings, key, tuple(value) if isinstance(value, list) and key == "SECURE_PROXY_SSL_HEADER" else value)


def test_https_mode_redirects_plain_http_and_sends_hsts(users, https_mode):
    plain = Client().get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    assert Client().get("/healthz").status_code in (200, 503)  # probes on the machine itself stay plain HTTP
    proxied = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000"
    signed_in = Client().post(
        "/login/", {"username": "reporter", "password": "correct-horse-42"}, HTTP_X_FORWARDED_PROTO="https"
    )
    cookie = signed_in.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
