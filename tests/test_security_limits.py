"""Issue 20, item 13: limits — passwords from the command line, the proofread endpoint, token expiry and scope,
iCal address rotation, XLSX imports that stop at their row limit."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tongpin.core.models import ApiToken, AuditEvent, User

pytestmark = pytest.mark.django_db


# --- createuser runs the password validators -------------------------------------------------------------


@pytest.mark.parametrize("password", ["1", "short-9", "password123", "reporter-x"])
def test_createuser_refuses_weak_passwords(db, password):
    with pytest.raises(CommandError) as error:
        call_command("createuser", "reporter-x", "--role", "reporter", "--password", password)
    assert "password" in str(error.value).lower() or "密码" in str(error.value)
    assert not User.objects.filter(username="reporter-x").exists()


def test_createuser_accepts_a_good_password(db):
    call_command("createuser", "zhang", "--role", "reporter", "--password", "Tide-lantern-2026", stdout=io.StringIO())
    assert User.objects.get(username="zhang").check_password("Tide-lantern-2026")


def test_passwords_need_ten_characters_or_eight_of_three_kinds(settings):
    # The 等保 rule (docs/security.md): 10 characters, or 8 with three kinds of character (tests/test_passwords.py
    # has the details); a short password of one or two kinds never passes.
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("tidelant9", "tidelantern"[:9], "Tidelant"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("tidelantern")
    validate_password("Tide-l8n")


# --- the proofread endpoint: who, how much, how often ------------------------------------------------------


def post_text(token, text):
    return Client().post(
        "/api/v1/proofread",
        data=json.dumps({"text": text}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_proofread_text_is_for_writers_and_reviewers_only(users, token_for):
    assert post_text(token_for("reporter"), "甲乙丙").status_code == 200
    for name in ("liaison_em", "orphan_liaison"):
        assert post_text(token_for(name), "甲乙丙").status_code == 403, name


def test_proofread_text_has_a_size_limit(users, token_for, settings):
    from tongpin.review import api as review_api

    too_long = "汛" * (review_api.MAX_CHECK_CHARS + 1)
    refused = post_text(token_for("editor"), too_long)
    assert refused.status_code == 413 and refused.json()["errors"][0]["code"] == "too_large"
    big_body = Client().post(
        "/api/v1/proofread",
        data=b'{"text": "' + b"a" * (3 * 1024 * 1024) + b'"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}",
    )
    assert big_body.status_code == 413
    over_django_limit = Client().post(
        "/api/v1/proofread",
        data=b'{"text": "' + b"a" * (6 * 1024 * 1024) + b'"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}",
    )
    assert over_django_limit.status_code == 413 and over_django_limit.json()["errors"][0]["code"] == "too_large"


def test_proofread_text_is_rate_limited_per_user(users, token_for, settings):
    from tongpin.review import api as review_api

    editor, desk = token_for("editor"), token_for("desk")
    answers = [post_text(editor, "甲乙丙").status_code for _ in range(review_api.CHECKS_PER_MINUTE + 1)]
    assert answers[:-1] == [200] * review_api.CHECKS_PER_MINUTE
    assert answers[-1] == 429
    limited = post_text(editor, "甲乙丙")
    assert limited.json()["errors"][0]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0
    assert post_text(desk, "甲乙丙").status_code == 200  # another user has their own allowance


# --- API tokens: expiry and scope ------------------------------------------------------------------------


def me(raw):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_an_expired_token_stops_working(users):
    token, raw = ApiToken.issue(users["reporter"], "feed", expires_at=timezone.now() + dt.timedelta(days=1))
    assert me(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert me(raw).status_code == 401


def test_a_read_only_token_cannot_write(users):
    _, raw = ApiToken.issue(users["reporter"], "reader", scope=ApiToken.Scope.READ)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert Client().get("/api/v1/stories", **auth).status_code == 200
    made = Client().post("/api/v1/stories", data='{"title": "x"}', content_type="application/json", **auth)
    assert made.status_code == 403 and made.json()["errors"][0]["code"] == "token_scope"


def test_an_alerts_only_token_only_reaches_alerts(users):
    _, raw = ApiToken.issue(users["admin"], "sender", scope=ApiToken.Scope.ALERTS)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert Client().get("/api/v1/stories", **auth).status_code == 403
    assert Client().get("/api/v1/alerts", **auth).status_code == 200
    cap = Client().post("/api/v1/alerts/cap", data=b"not xml", content_type="application/xml", **auth)
    assert cap.status_code not in (401, 403)  # reached the alert intake, which judges the body


def test_token_command_with_expiry_and_scope(users):
    out = io.StringIO()
    call_command("token", "create", "reporter", "--name", "feed", "--expires", "30", "--scope", "read", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(name="feed")
    assert token.scope == "read"
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    assert me(raw).status_code == 200
    event = AuditEvent.objects.get(action="token.create")
    assert event.changes["scope"] == "read" and event.changes["expires_at"]
    with pytest.raises(CommandError):
        call_command("token", "create", "reporter", "--expires", "0", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("token", "create", "reporter", "--scope", "admin", stdout=io.StringIO())


# --- iCal addresses can be rotated ----------------------------------------------------------------------


def test_a_user_can_regenerate_their_ical_address_and_old_ones_stop_working(users, client_for, token_for):
    from tongpin.planning import ical

    old_person = ical.feed_token(users["reporter"], "person")
    assert Client().get(f"/ical/{old_person}.ics").status_code == 200
    page = client_for("reporter").get("/planning/")
    assert b"/ical/" in page.content and b"/planning/feeds/rotate/" in page.content

    client_for("reporter").post("/planning/feeds/rotate/")
    assert Client().get(f"/ical/{old_person}.ics").status_code == 404
    new_person = ical.feed_token(users["reporter"], "person")
    assert Client().get(f"/ical/{new_person}.ics").status_code == 200
    assert AuditEvent.objects.filter(action="ical.rotate", actor=users["reporter"]).count() == 1

    # through the API: the answer carries the new address; the one before stops working
    rotated = Client().post("/api/v1/calendar/feeds/rotate", HTTP_AUTHORIZATION=f"Bearer {token_for('reporter')}")
    assert rotated.status_code == 200 and rotated.json()["person"].endswith(".ics")
    assert Client().get(f"/ical/{new_person}.ics").status_code == 404
    newest = rotated.json()["person"].rsplit("/ical/", 1)[1]
    assert Client().get(f"/ical/{newest}").status_code == 200
    # someone else's addresses are untouched
    other = ical.feed_token(users["editor"], "person")
    assert Client().get(f"/ical/{other}.ics").status_code == 200


# --- an XLSX over the row limit is refused before the rest of it is read -----------------------------------


def _big_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(["账号", "发布时间", "阅读数", "点赞数", "在看数", "分享数", "数据日期"])
    for n in range(rows):
        sheet.append(["清远高新区", "2026-11-16 08:30", n, 1, 1, 1, "2026-11-23"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _count_parsed_rows(monkeypatch) -> list[int]:
    from openpyxl.worksheet import _reader

    seen = [0]
    original = _reader.WorkSheetParser.parse_row

    def counting(self, element):
        seen[0] += 1
        return original(self, element)

    monkeypatch.setattr(_reader.WorkSheetParser, "parse_row", counting)
    return seen


def test_an_xlsx_over_the_row_limit_stops_reading_at_the_limit(monkeypatch):
    from tongpin.analytics import imports
    from tongpin.analytics.formats import FORMATS
    from tongpin.core.errors import ValidationFailed

    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    data = _big_xlsx(2_000)
    seen = _count_parsed_rows(monkeypatch)
    with pytest.raises(ValidationFailed) as error:
        imports.parse(FORMATS["wechat"], data, "figures.xlsx")
    assert error.value.errors[0].code == "too_many_rows"
    assert seen[0] <= 50 + 2  # the header, the limit, one more to know it is over: not the other 1,949 rows


def test_read_table_streams_with_a_row_limit(monkeypatch):
    from tongpin.core.spreadsheets import read_table

    data = _big_xlsx(500)
    seen = _count_parsed_rows(monkeypatch)
    table = read_table(data, "figures.xlsx", max_rows=10)
    assert len(table) == 1 + 11 and seen[0] <= 12
    text = ("账号\n" + "清远\n" * 500).encode()
    assert len(read_table(text, "figures.csv", max_rows=10)) == 1 + 11
