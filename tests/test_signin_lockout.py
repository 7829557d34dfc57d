"""Sign-in throttling (issue 20, item 5): one mechanism (django-axes, database handler) for the login page, the
admin's login and API tokens; counts are rows in the database, so every process shares them."""

from django.test import Client

from tongpin.core.models import AuditEvent

from .conftest import PASSWORD


def test_admin_login_is_locked_after_five_wrong_passwords(users):
    for _ in range(5):
        Client().post("/admin/login/", {"username": "admin", "password": "guess"})
    blocked = Client().post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.content.decode()
    assert "_auth_user_id" not in blocked.client.session
    assert AuditEvent.objects.filter(action="auth.locked_out", object_repr="admin").exists()


def test_the_count_is_in_the_database_not_in_a_process(users):
    from axes.models import AccessAttempt

    for _ in range(5):
        Client().post("/login/", {"username": "Reporter ", "password": "guess"})  # one name, however typed
    assert AccessAttempt.objects.filter(username="reporter").exists()
    from django.core.cache import cache

    cache.clear()  # a restart, or another worker process, forgets nothing
    blocked = Client().post("/login/", {"username": "reporter", "password": PASSWORD})
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.content.decode()


def test_one_address_is_locked_after_thirty_failures_over_many_names(users):
    for n in range(30):
        Client().post("/login/", {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR="198.51.100.7")
    blocked = Client().post("/login/", {"username": "editor", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
    assert blocked.status_code == 429
    elsewhere = Client().post("/login/", {"username": "editor", "password": PASSWORD}, REMOTE_ADDR="198.51.100.8")
    assert elsewhere.status_code == 302


def test_a_successful_sign_in_clears_the_names_count(users):
    for _ in range(4):
        Client().post("/login/", {"username": "reporter", "password": "guess"})
    assert Client().post("/login/", {"username": "reporter", "password": PASSWORD}).status_code == 302
    for _ in range(4):
        Client().post("/login/", {"username": "reporter", "password": "guess"})
    assert Client().post("/login/", {"username": "reporter", "password": PASSWORD}).status_code == 302


def test_bad_bearer_tokens_lock_the_address_out_of_the_api(users, token_for):
    good = token_for("editor")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(10):
        answer = client.get("/api/v1/stories", HTTP_AUTHORIZATION=f"Bearer wrong-token-{n}")
        assert answer.status_code in (401, 429)
    locked = client.get("/api/v1/stories", HTTP_AUTHORIZATION=f"Bearer {good}")
    assert locked.status_code == 429 and locked.json()["errors"][0]["code"] == "too_many_attempts"
    other = Client(REMOTE_ADDR="203.0.113.10").get("/api/v1/stories", HTTP_AUTHORIZATION=f"Bearer {good}")
    assert other.status_code == 200
    assert AuditEvent.objects.filter(action="auth.token_failed").count() >= 10
    assert AuditEvent.objects.filter(action="auth.locked_out", ip="203.0.113.9").exists()
